package audit

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/bindmatrix/bindmatrix/internal/child"
	"github.com/bindmatrix/bindmatrix/internal/deliver"
	"github.com/bindmatrix/bindmatrix/internal/inventory"
	"github.com/bindmatrix/bindmatrix/internal/sock"
	"github.com/bindmatrix/bindmatrix/internal/witness"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// attacker makes attempts from helper processes: one per user attempts run
// as ("same" is the auditor's own user).
type attacker struct {
	helpers map[string]*child.Helper
	users   []string
	deliver bool
	count   int
	// deliverToGuessed: see Options.DeliverToGuessed.
	deliverToGuessed bool
	witness          witness.Witness
	// audited are all the sockets under audit; another's socket on one of
	// their ports gets no test traffic.
	audited []inventory.Socket
}

func newAttacker(opt Options, w witness.Witness, audited []inventory.Socket) (*attacker, error) {
	a := &attacker{helpers: map[string]*child.Helper{}, users: append([]string{"same"}, opt.As...), deliver: opt.Deliver,
		count: cmpOr(opt.DeliverCount, DefaultDeliverCount), deliverToGuessed: opt.DeliverToGuessed, witness: w, audited: audited}
	for _, u := range a.users {
		h, err := child.Start(child.UserNamed(u))
		if err != nil {
			a.stop()
			return nil, fmt.Errorf("starting a helper process as %s: %w", u, err)
		}
		a.helpers[u] = h
	}
	return a, nil
}

func (a *attacker) stop() {
	for _, h := range a.helpers {
		h.Stop()
	}
}

// audit makes every attempt against s and concludes its verdict.
func (a *attacker) audit(s inventory.Socket) matrix.AuditSocket {
	out := matrix.AuditSocket{Proto: s.Proto, Address: s.Local, Family: s.Family, PID: s.PID(),
		Command: s.Command, User: s.User, Inode: s.Inode, Attempts: []matrix.Attempt{}, Note: s.Unknown}
	if s.UID >= 0 {
		out.UID = &s.UID
	}
	for _, b := range plan(s.Family, s.Local.Addr()) {
		for _, opt := range matrix.Options() {
			if !sock.OptionExists(opt) {
				continue
			}
			for _, user := range a.users {
				out.Attempts = append(out.Attempts, a.attempt(s, b, opt, user))
			}
		}
	}
	out.Verdict = verdictOf(out.Attempts)
	if out.Verdict == matrix.Hijackable {
		out.Fix = fixFor(hostOS(), out)
	}
	out.Exposure = a.exposure(s, &out) // may add attempts as Stranger (severity.go)
	return out
}

// attempt binds (and, for TCP, listens) on b with opt, as user, in a
// helper; a successful one is held for a delivery check when asked, and
// closed right after either way.
func (a *attacker) attempt(s inventory.Socket, b bind, opt matrix.Option, user string) matrix.Attempt {
	at := matrix.Attempt{Address: netip.AddrPortFrom(b.addr, s.Local.Port()), Family: b.family, Option: opt, User: user}
	h := a.helpers[user]
	newcomer, outcome, native, err := h.Attempt(b.family, s.Proto, opt, at.Address)
	//lint:ignore SA5001 Attempt returns the socket in every case, for the caller to close: the helper may hold it even when the answer failed.
	defer newcomer.Close()
	if err != nil {
		at.Outcome, at.Note = matrix.Unreached, err.Error()
		if !h.Alive() { // replace it for the attempts still to come
			if fresh, serr := child.Start(child.UserNamed(user)); serr == nil {
				a.helpers[user] = fresh
			}
		}
		return at
	}
	at.Outcome, at.Native = outcome, native
	if outcome != matrix.OK || !a.deliver {
		return at
	}
	_, loop := reachOf(s.Family, s.Local.Addr()).overlap(reachOf(b.family, b.addr))
	if !loop.IsValid() {
		at.Note = "no delivery check: the socket does not serve loopback, and test traffic goes to loopback only"
		return at
	}
	if why := a.trafficForbidden(s, at.Address, user); why != "" {
		at.Note = why
		return at
	}
	to := netip.AddrPortFrom(loop, s.Local.Port())
	plan := deliver.Plan{Proto: s.Proto, To: to, Max: a.count, Round: a.count, Unseen: true, Witness: a.witness}
	t, err := deliver.Run(plan, newcomer)
	if err == nil && t.Stopped == nil && t.Received[0] == 0 {
		// None of it: a socket that shares the port by hash misses every
		// one of 16 with odds of 2^-16. Three times as much again makes a
		// "none" wrong with odds of 2^-64; where none is the rule (the
		// specific socket wins) it stays none.
		plan.Max, plan.Round = 3*a.count, 3*a.count
		more, merr := deliver.Run(plan, newcomer)
		t.Sent, t.Received[0], t.Stopped, err = t.Sent+more.Sent, more.Received[0], more.Stopped, merr
	}
	switch {
	case err != nil:
		at.Note = err.Error()
	case t.Stopped != nil && t.Received[0] == 0 && t.Sent >= a.count:
		// Sending stalled on the audited socket (a server that does not
		// accept fills its backlog), not on the newcomer, which got none:
		// as many as a full round sent with none of it is a "none".
		at.Delivery = &matrix.AttemptDelivery{Sent: t.Sent, Second: 0}
		at.Note = t.Note(to, "the newcomer")
	case t.Stopped != nil:
		at.Note = t.Note(to, "the newcomer")
	default:
		at.Delivery = &matrix.AttemptDelivery{Sent: t.Sent, Second: t.Received[0]}
		at.Note = t.Note(to, "the newcomer")
	}
	return at
}

// trafficForbidden says why s's port may get no test traffic now, with
// user's helper holding the newcomer at newcomer: s may not be the
// command's, another program's socket shares the port, or that cannot be
// known. The port is listed right before the traffic, once the helpers
// have settled, so that no earlier attempt of theirs is still on it.
func (a *attacker) trafficForbidden(s inventory.Socket, newcomer netip.AddrPort, user string) string {
	if s.Unrecorded && !a.deliverToGuessed {
		return "no delivery check: this OS records no socket's owner, so the socket is only taken to be the command's, and may be another program's; -deliver sends the test traffic anyway"
	}
	for _, h := range a.helpers {
		h.Settle()
	}
	ours := append(slices.Clone(a.audited), inventory.Socket{Proto: s.Proto, Local: newcomer, PIDs: []int{a.helpers[user].Pid()}})
	others, err := othersOnPort(s.Proto, s.Local.Port(), ours)
	switch {
	case err != nil:
		return fmt.Sprintf("no delivery check: the sockets sharing the port could not be listed: %v", err)
	case len(others) > 0:
		return "no delivery check: another program's socket shares the port and could receive the test traffic: " + namesOf(others)
	}
	return ""
}

// verdictOf concludes a socket's verdict from its attempts.
func verdictOf(attempts []matrix.Attempt) matrix.SocketVerdict {
	switch {
	case slices.ContainsFunc(attempts, matrix.Attempt.Took):
		return matrix.Hijackable
	case slices.ContainsFunc(attempts, func(a matrix.Attempt) bool { return a.Outcome == matrix.Unreached }):
		return matrix.SocketUnreached
	}
	return matrix.Exclusive
}
