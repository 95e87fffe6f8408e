package audit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"os"
	"slices"
	"time"

	"github.com/bindmatrix/bindmatrix/internal/child"
	"github.com/bindmatrix/bindmatrix/internal/deliver"
	"github.com/bindmatrix/bindmatrix/internal/inventory"
	"github.com/bindmatrix/bindmatrix/internal/ports"
	"github.com/bindmatrix/bindmatrix/internal/sock"
	"github.com/bindmatrix/bindmatrix/internal/witness"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// attacker makes attempts from helper processes: one per user attempts run
// as ("same" is the auditor's own user), started when first needed.
type attacker struct {
	helpers map[string]*child.Helper
	users   []string
	deliver bool
	count   int
	// live says attempts may take live traffic: the sockets are the
	// audit's own (a command it started, a test's listener), or -deliver
	// was given. Otherwise TCP attempts bind without listening and UDP
	// ones are made on a replica (see replicaAttempts).
	live bool
	// deliverToGuessed: see Options.DeliverToGuessed.
	deliverToGuessed bool
	witness          witness.Witness
	// audited are all the sockets under audit; another's socket on one of
	// their ports gets no test traffic.
	audited []inventory.Socket
}

func newAttacker(opt Options, w witness.Witness, audited []inventory.Socket) (*attacker, error) {
	a := &attacker{helpers: map[string]*child.Helper{}, users: append([]string{"same"}, opt.As...), deliver: opt.Deliver,
		count: cmpOr(opt.DeliverCount, DefaultDeliverCount), deliverToGuessed: opt.DeliverToGuessed, witness: w, audited: audited,
		live: opt.Deliver || opt.own}
	for _, u := range a.users {
		if _, err := a.helper(u); err != nil {
			a.stop()
			return nil, err
		}
	}
	return a, nil
}

// helper is user's helper, started on first use.
func (a *attacker) helper(user string) (*child.Helper, error) {
	if h := a.helpers[user]; h != nil && h.Alive() {
		return h, nil
	}
	h, err := child.Start(child.UserNamed(user))
	if err != nil {
		return nil, fmt.Errorf("starting a helper process as %s: %w", user, err)
	}
	a.helpers[user] = h
	return h, nil
}

func (a *attacker) stop() {
	for _, h := range a.helpers {
		h.Stop()
	}
}

// lockPatience bounds the wait for another audit of the same port.
const lockPatience = 30 * time.Second

// auditGroup audits one group of the server's sockets on one address
// (usually one socket) while holding the port's lock, so that two audits
// of one port run one after the other, and checks afterwards that the
// sockets it attacked are still the ones listed.
func (a *attacker) auditGroup(ctx context.Context, g []inventory.Socket) matrix.AuditSocket {
	s := g[0]
	lock, err := ports.Lock(ctx, s.Proto, s.Local.Port(), lockPatience)
	if err != nil {
		out := a.socketOf(g)
		out.Verdict, out.Note = matrix.SocketUnreached, joinNotes(out.Note, "not attempted: another bindmatrix audit of the port did not end: "+err.Error())
		return out
	}
	defer lock.Close()
	if afterListing != nil {
		afterListing(g)
	}
	out := a.audit(g)
	if gone := vanished(g); gone != "" {
		// Nothing was audited, so nobody is said to be able to take it.
		out.Verdict, out.Fix, out.Exposure = matrix.SocketVanished, "", nil
		out.Note = joinNotes(gone+": not audited; a bind on a port it left free succeeds, which says nothing about it", out.Note)
	}
	return out
}

// afterListing and beforeTraffic, when set (by tests), run between the
// listing of a group and its attempts, and between the listing before a
// delivery and its traffic: what a socket that closes or appears then does.
var (
	afterListing  func(g []inventory.Socket)
	beforeTraffic func(s inventory.Socket)
)

// socketOf is the document's socket for group g, before any attempt.
func (a *attacker) socketOf(g []inventory.Socket) matrix.AuditSocket {
	s := g[0]
	out := matrix.AuditSocket{Proto: s.Proto, Address: s.Local, Family: s.Family, PID: s.PID(),
		Command: s.Command, User: s.User, Attempts: []matrix.Attempt{}, Note: s.Unknown}
	for _, m := range g {
		if m.Inode != 0 {
			out.Inodes = append(out.Inodes, m.Inode)
		}
	}
	if uid := groupUID(g); uid >= 0 {
		out.UID = &uid
	}
	if len(g) > 1 {
		out.Note = joinNotes(out.Note, fmt.Sprintf("%d sockets of the server share this address (a SO_REUSEPORT group, or UDP sockets with SO_REUSEADDR): judged once, by their members, with test traffic sized to the group", len(g)))
	}
	return out
}

// groupUID is the uid that created the sockets of g (sock_diag), -1 when
// it is not known or they differ: a SO_REUSEPORT group's members all have
// their creator's uid, which is who may join it.
func groupUID(g []inventory.Socket) int {
	uid := g[0].UID
	for _, m := range g[1:] {
		if m.UID != uid {
			return -1
		}
	}
	return uid
}

// again makes an attempt like at once more, as user, against the socket
// the first was made against (the server's, or a replica of it): what the
// stranger's attempts that confirm who can take a socket are made with.
type again func(at matrix.Attempt, user string) matrix.Attempt

// audit makes every attempt against the group g and concludes its verdict
// and who can take it.
func (a *attacker) audit(g []inventory.Socket) matrix.AuditSocket {
	s := g[0]
	out := a.socketOf(g)
	users := a.usersFor(s)
	concluded := false
	conclude := func(retry again) {
		concluded = true
		out.Verdict = verdictOf(out.Attempts)
		if out.Verdict == matrix.Exclusive && len(out.Attempts) > 0 {
			if why := ownerNotTried(s); why != "" {
				out.Verdict, out.Note = matrix.SocketUnreached, joinNotes(out.Note, why)
			}
		}
		if out.Verdict == matrix.Hijackable {
			out.Fix = fixFor(hostOS(), out)
		}
		out.Exposure = a.exposure(g, &out, retry) // may add attempts as Stranger (severity.go)
	}
	if s.Proto == matrix.UDP && !a.live {
		// The stranger's attempts go to the replica too, while it is bound.
		a.replicaAttempts(g, users, &out, conclude)
	} else {
		for _, b := range plan(s.Family, s.Local.Addr()) {
			for _, opt := range matrix.Options() {
				if !sock.OptionExists(opt) {
					continue
				}
				for _, user := range users {
					out.Attempts = append(out.Attempts, a.attempt(g, s, b, opt, user))
				}
			}
		}
		conclude(func(at matrix.Attempt, user string) matrix.Attempt {
			return a.attempt(g, s, bind{at.Family, at.Address.Addr()}, at.Option, user)
		})
	}
	if !concluded {
		conclude(nil) // no replica: nothing to attempt against
	}
	return out
}

// usersFor are the users attempts on s run as: the auditor, those of -as,
// and, run as root, the socket's owner, the uid sock_diag reports for it.
// That is whoever created the socket, not the process's user now: a daemon
// that binds as root and then drops privileges is joined by root only.
func (a *attacker) usersFor(s inventory.Socket) []string {
	users := slices.Clone(a.users)
	if owner := ownerOf(s); !slices.Contains(users, owner) {
		users = append(users, owner)
	}
	return users
}

// ownerNotTried says why attempts that all failed do not make s exclusive:
// its owner's own attempts (a SO_REUSEPORT group admits its owner's
// processes only) could not be made by a non-root auditor.
func ownerNotTried(s inventory.Socket) string {
	me := os.Geteuid()
	if me <= 0 || s.UID < 0 || s.UID == me {
		return ""
	}
	return fmt.Sprintf("the socket belongs to %s (uid %d), and only that user's processes may join it (SO_REUSEPORT); this audit runs as uid %d and cannot attempt as its owner: run it as root", s.User, s.UID, me)
}

// attempt binds on b with opt, as user, in a helper, and, where live
// traffic may reach it, listens (TCP) and is held for a delivery check
// when asked; it is closed right after either way.
func (a *attacker) attempt(g []inventory.Socket, s inventory.Socket, b bind, opt matrix.Option, user string) matrix.Attempt {
	at := matrix.Attempt{Address: netip.AddrPortFrom(b.addr, s.Local.Port()), Family: b.family, Option: opt, User: user}
	h, err := a.helper(user)
	if err != nil {
		at.Outcome, at.Note = matrix.Unreached, err.Error()
		return at
	}
	var newcomer child.Socket
	var outcome matrix.Outcome
	var native int
	if s.Proto == matrix.TCP && !a.live {
		// A listening newcomer would take live connections (and reset
		// them when it closes): bind only, and say what listening would do.
		at.BoundOnly = true
		newcomer, outcome, native, err = h.Make(b.family, s.Proto, []matrix.Option{opt}, at.Address, false)
	} else {
		newcomer, outcome, native, err = h.Attempt(b.family, s.Proto, opt, at.Address)
	}
	// Attempt and Make return the socket in every case, for the caller to
	// close: the helper may hold it even when the answer failed.
	defer newcomer.Close()
	if err != nil {
		at.Outcome, at.Note = matrix.Unreached, err.Error()
		return at
	}
	at.Outcome, at.Native = outcome, native
	if privilegedOnly(outcome) {
		at.Outcome = matrix.Unreached
		at.Note = fmt.Sprintf("privileged only: %s; this user may not bind port %d%s, so the attempt says nothing about sharing it", outcome, s.Local.Port(), unprivilegedNote())
		return at
	}
	if outcome != matrix.OK {
		return at
	}
	if at.BoundOnly {
		at.Note = listeningWouldDo(s, len(g), b, opt)
		return at
	}
	if !a.deliver {
		return at
	}
	_, loop := reachOf(s.Family, s.Local.Addr()).overlap(reachOf(b.family, b.addr))
	if !loop.IsValid() {
		at.Note = "no delivery check: the socket does not serve loopback, and test traffic goes to loopback only"
		return at
	}
	before, why := a.trafficForbidden(s, at.Address, user)
	if why != "" {
		at.Note = why
		return at
	}
	if beforeTraffic != nil {
		beforeTraffic(s)
	}
	to := netip.AddrPortFrom(loop, s.Local.Port())
	plan := deliver.Plan{Proto: s.Proto, To: to, Max: a.count, Round: a.count, Unseen: true, Witness: a.witness,
		Check: func() error {
			if changed := a.holdersChanged(s, before); changed != "" {
				return fmt.Errorf("%w: %s", errHoldersChanged, changed)
			}
			return nil
		}}
	t, err := deliver.Run(plan, newcomer)
	if err == nil && t.Stopped == nil && t.Received[0] == 0 {
		// None of it: a newcomer that shares the port by hash with the
		// group's n sockets misses each one with odds n/(n+1). More is
		// sent until a "none" is wrong with odds below 2^-64; where none
		// is the rule (the specific socket wins) it stays none.
		// In rounds of the first's size, the port listed between them.
		plan.Max = max(3*a.count, noneCount(len(g))-t.Sent)
		m, merr := deliver.Run(plan, newcomer)
		t.Sent, t.Received[0], t.Stopped, t.Complete, err = t.Sent+m.Sent, m.Received[0], m.Stopped, m.Complete, merr
	}
	if changed := a.holdersChanged(s, before); changed != "" {
		at.Outcome, at.Delivery = matrix.Unreached, nil
		at.Note = "the port's holders changed while the test traffic went to it, so the counts say nothing: " + changed
		return at
	}
	switch {
	case err != nil:
		at.Note = err.Error()
	case t.Stopped != nil && !errors.Is(t.Stopped, errHoldersChanged) && t.Received[0] == 0 && t.Sent >= max(a.count, noneCount(len(g))):
		// Sending stalled on the audited socket (a server that does not
		// accept fills its backlog), not on the newcomer, which got none:
		// as many as a full round sent with none of it is a "none" (for a
		// group, as many as make a hash share's none unlikely).
		at.Delivery = &matrix.AttemptDelivery{Sent: t.Sent, Second: 0}
		at.Note = t.Note(to, "the newcomer")
	case t.Stopped != nil:
		at.Note = t.Note(to, "the newcomer")
	case !t.Complete:
		// A count not proven whole (internal/deliver's Complete) proves
		// no "none": the bind that succeeded could still take traffic.
		at.Note = t.Note(to, "the newcomer") + "; not every connection was proven past its handshake, so the count proves nothing"
	default:
		at.Delivery = &matrix.AttemptDelivery{Sent: t.Sent, Second: t.Received[0]}
		at.Note = t.Note(to, "the newcomer")
		if t.Received[0] == 0 && b.addr == s.Local.Addr() && b.family == s.Family && opt == matrix.ReusePort && hostOS() == "linux" {
			// Joined, and none of traffic a hash share misses with odds
			// below 2^-64: a program picks the members.
			at.Steered = true
			at.Note = joinNotes(at.Note, fmt.Sprintf("it joined the SO_REUSEPORT group of %d and got none of %d: a program (SO_ATTACH_REUSEPORT_CBPF or _EBPF) steers the group, not the hash; any member may replace that program with its own (on its own socket), so the newcomer could take every connection; the audit never attaches one to a group it did not make", len(g), t.Sent))
		}
	}
	return at
}

// errHoldersChanged stops test traffic when the port's sockets changed
// between rounds: the counts then say nothing, and a stall is no "none".
var errHoldersChanged = errors.New("the port's holders changed")

// noneCount is how much traffic makes "the newcomer got none" wrong with
// odds below 2^-64 when it shares by hash with a group of n sockets: each
// connection misses it with odds n/(n+1). For one socket it is 64.
func noneCount(n int) int {
	n = max(n, 1)
	return int(math.Ceil(64 * math.Ln2 / math.Log(float64(n+1)/float64(n))))
}

// privilegedOnly says an attempt was refused for want of privilege: a port
// below the unprivileged threshold, or a security module. It says nothing
// about sharing. Windows' WSAEACCES is the answer of an exclusive socket
// (SO_EXCLUSIVEADDRUSE) and stays one.
func privilegedOnly(o matrix.Outcome) bool {
	return hostOS() != "windows" && hostOS() != "wine" && o.Call() == "bind" && (o.Errno() == "EACCES" || o.Errno() == "EPERM")
}

// trafficForbidden says why s's port may get no test traffic now, with
// user's helper holding the newcomer at newcomer: s may not be the
// command's, another program's socket shares the port, or that cannot be
// known. The port is listed right before the traffic, once the helpers
// have settled, so that no earlier attempt of theirs is still on it; the
// listing is returned, to compare with one right after the traffic.
func (a *attacker) trafficForbidden(s inventory.Socket, newcomer netip.AddrPort, user string) ([]inventory.Socket, string) {
	if s.Unrecorded && !a.deliverToGuessed {
		return nil, "no delivery check: this OS records no socket's owner, so the socket is only taken to be the command's, and may be another program's; -deliver sends the test traffic anyway"
	}
	for _, h := range a.helpers {
		h.Settle()
	}
	listed, err := inventory.List(inventory.Filter{Protos: []matrix.Proto{s.Proto}, Port: s.Local.Port()})
	if err != nil {
		return nil, fmt.Sprintf("no delivery check: the sockets sharing the port could not be listed: %v", err)
	}
	ours := append(slices.Clone(a.audited), inventory.Socket{Proto: s.Proto, Local: newcomer, PIDs: []int{a.helpers[user].Pid()}})
	if others := notAmong(listed, ours); len(others) > 0 {
		return nil, "no delivery check: another program's socket shares the port and could receive the test traffic: " + namesOf(others)
	}
	return listed, ""
}

// holdersChanged lists s's port again right after its test traffic and
// says how the sockets on it differ from before ("" when they do not): a
// socket that came or went meanwhile may have taken the traffic the
// newcomer's count misses, or the newcomer may have taken its.
func (a *attacker) holdersChanged(s inventory.Socket, before []inventory.Socket) string {
	after, err := inventory.List(inventory.Filter{Protos: []matrix.Proto{s.Proto}, Port: s.Local.Port(), IdentityOnly: true})
	if err != nil {
		return fmt.Sprintf("they could not be listed again: %v", err)
	}
	came, went := diffSockets(before, after)
	switch {
	case len(came) > 0 && len(went) > 0:
		return "came " + namesOf(came) + "; went " + namesOf(went)
	case len(came) > 0:
		return "came " + namesOf(came)
	case len(went) > 0:
		return "went " + namesOf(went)
	}
	return ""
}

// diffSockets says which sockets of after are not in before and which of
// before are not in after, by kernel identity where the OS names it (a
// socket closed and bound again on the same address is another), by
// address and holders elsewhere.
func diffSockets(before, after []inventory.Socket) (came, went []inventory.Socket) {
	in := func(s inventory.Socket, list []inventory.Socket) bool {
		return slices.ContainsFunc(list, func(x inventory.Socket) bool { return identical(s, x) })
	}
	for _, s := range after {
		if !in(s, before) {
			came = append(came, s)
		}
	}
	for _, s := range before {
		if !in(s, after) {
			went = append(went, s)
		}
	}
	return came, went
}

// identical says whether two listings name the same socket: by cookie or
// inode where the OS names sockets; elsewhere by address and a holder in
// common (a forking server's workers come and go), or, for rows that may
// be several sockets (lsof, sockstat), the same holders.
func identical(a, b inventory.Socket) bool {
	switch {
	case a.Cookie != 0 && b.Cookie != 0:
		return a.Cookie == b.Cookie
	case a.Inode != 0 && b.Inode != 0:
		return a.Inode == b.Inode
	case a.Proto != b.Proto || a.Local != b.Local:
		return false
	case a.Merged || b.Merged:
		return slices.Equal(a.PIDs, b.PIDs)
	}
	return len(a.PIDs) == 0 || len(b.PIDs) == 0 || slices.ContainsFunc(a.PIDs, func(p int) bool { return slices.Contains(b.PIDs, p) })
}

// vanished lists g's port again after its attempts and says which of its
// sockets are gone ("" when none is): a socket closed between the listing
// and the attempts leaves its port free, and every attempt then succeeds.
// Where the OS names sockets (Linux: inode and cookie), one closed and
// opened again on the address is gone too. A group of which some remain
// is still judged by those.
func vanished(g []inventory.Socket) string {
	s := g[0]
	after, err := inventory.List(inventory.Filter{Protos: []matrix.Proto{s.Proto}, Port: s.Local.Port(), IdentityOnly: true})
	if err != nil {
		return fmt.Sprintf("the port could not be listed again after the attempts (%v)", err)
	}
	_, went := diffSockets(g, after)
	if len(went) < len(g) {
		return ""
	}
	what := "it closed during the attempts"
	if s.Inode != 0 {
		what = fmt.Sprintf("it closed during the attempts (socket inode %d is no longer listed)", s.Inode)
	}
	if len(g) > 1 {
		what = fmt.Sprintf("all %d sockets of the group closed during the attempts", len(g))
	}
	return what
}

// listeningWouldDo says what a TCP attempt that bound, and did not listen,
// would take by listening: the audit leaves that to -deliver, since a
// listening newcomer takes live connections.
func listeningWouldDo(s inventory.Socket, members int, b bind, opt matrix.Option) string {
	// No live connection may reach an attempt on a server the audit did
	// not start; -deliver listens and counts.
	const head = "bound, not listening (-deliver listens): "
	same := b.addr == s.Local.Addr() && b.family == s.Family
	target := reachOf(s.Family, s.Local.Addr())
	mine := reachOf(b.family, b.addr)
	switch {
	case same && opt == matrix.ReusePort && hostOS() == "linux":
		return head + fmt.Sprintf("listening would join its SO_REUSEPORT group of %d and take a hash share, about 1 in %d, of its connections", members, members+1)
	case same:
		return head + "listening on the same address would share or take its connections"
	case s.Local.Addr().IsUnspecified() && !b.addr.IsUnspecified():
		return head + fmt.Sprintf("listening would take every connection to %s: a more specific socket wins over the wildcard", b.addr)
	case !s.Local.Addr().IsUnspecified() && b.addr.IsUnspecified():
		return head + fmt.Sprintf("listening would take connections to the port on addresses other than %s, none of this socket's own (the more specific socket wins)", s.Local.Addr())
	}
	if shared, _ := target.overlap(mine); shared {
		return head + "listening would be on an address this socket serves, in another family; which of the two the kernel prefers is measured only with -deliver"
	}
	return head + "listening would take none of its connections"
}

// verdictOf concludes a socket's verdict from its attempts.
func verdictOf(attempts []matrix.Attempt) matrix.SocketVerdict {
	switch {
	case slices.ContainsFunc(attempts, matrix.Attempt.Took):
		return matrix.Hijackable
	case len(attempts) == 0 || slices.ContainsFunc(attempts, func(a matrix.Attempt) bool { return a.Outcome == matrix.Unreached }):
		return matrix.SocketUnreached
	}
	return matrix.Exclusive
}
