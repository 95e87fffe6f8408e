// Package audit answers the question people bring after an incident: can
// another process take this server's port, and does the server come back
// after a restart? It finds a live server's sockets (package inventory),
// tries every bind a local process could make on each port from helper
// processes (package child) with every option this OS has, confirms a
// takeover by counting the test traffic the newcomer receives (package
// deliver), and restarts the server while its old connections sit in
// TIME_WAIT, proven by the witness.
//
// It touches only loopback and this machine's sockets, never destroys or
// disturbs a socket it did not create, and sends test traffic to a server
// it did not start only when asked to.
package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"runtime"
	"slices"
	"time"

	"github.com/bindmatrix/bindmatrix/internal/host"
	"github.com/bindmatrix/bindmatrix/internal/inventory"
	"github.com/bindmatrix/bindmatrix/internal/witness"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// Request says what to audit (one of Port, PID, Command) and how.
type Request struct {
	Port    uint16
	Proto   matrix.Proto // with Port
	PID     int
	Command []string
	// Dir is the directory Command runs in; "" is the current one.
	Dir string
	// Wait bounds how long Command may take to listen.
	Wait time.Duration
	// Restart asks for the restart check (Command only).
	Restart bool
	Options
	// Log receives the output of Command.
	Log io.Writer
}

// Options say how each socket is attacked.
type Options struct {
	// Deliver confirms each successful attempt with DeliverCount
	// connections or datagrams to the socket's loopback address.
	Deliver      bool
	DeliverCount int
	// DeliverToGuessed lets Deliver reach a socket the OS records no owner
	// for (Wine), taken as the command's only because it appeared after
	// the command started: it may be another program's. An explicit
	// -deliver sets it.
	DeliverToGuessed bool
	// As lists other users to make the attempts as too (root only).
	As []string
	// own says the sockets are the audit's own (a command it started, a
	// test's listener): attempts may listen, and bind UDP, beside them
	// without -deliver, since no stranger's client is connected to them.
	own bool
}

// ErrBadInput marks what the caller asked wrongly: no such process,
// nothing listening on the port, a command that does not exist, an option
// this OS does not offer.
var ErrBadInput = errors.New("bad input")

func badInput(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadInput, fmt.Sprintf(format, args...))
}

// DefaultDeliverCount is how many connections or datagrams confirm a
// takeover: enough that a fair share of a SO_REUSEPORT group misses the
// newcomer with odds of 2^-16.
const DefaultDeliverCount = 16

// Run audits what req names. The audit it returns is concluded; an error
// means nothing could be audited (ErrBadInput, or the inventory failed).
// Cancelling ctx ends it with ctx's cause: the servers it started are
// stopped before it returns, and none starts after (no restart).
func Run(ctx context.Context, req Request) (*matrix.Audit, error) {
	if err := check(req); err != nil {
		return nil, err
	}
	a := &matrix.Audit{Schema: matrix.AuditSchema, Platform: host.Platform(), Sockets: []matrix.AuditSocket{},
		Target: matrix.AuditTarget{Port: req.Port, PID: req.PID, Command: req.Command, Deliver: req.Deliver,
			Users: append([]string{"same"}, req.As...)}}
	if req.Port != 0 {
		a.Target.Proto = req.Proto.String()
	}
	w, _ := witness.Open(witness.Best) // None, with the reason, where there is none
	defer w.Close()

	var srv *server
	var socks []inventory.Socket
	switch {
	case len(req.Command) > 0:
		if _, err := exec.LookPath(req.Command[0]); err != nil {
			return nil, badInput("%s: %v", req.Command[0], err)
		}
		var err error
		if srv, err = startServer(ctx, req.Command, req.Dir, req.Log); err != nil {
			return nil, badInput("%v", err)
		}
		defer srv.stop()
		socks, err = srv.waitListening(ctx, req.Wait)
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		if errors.As(err, new(exitedEarly)) && srv.group.Err() != nil {
			// It failed on its own: a bad flag, a port something else
			// held before the audit began. (At the restart, the same is
			// the finding.)
			return nil, badInput("%v%s", err, srv.output.says())
		}
		if err != nil {
			a.Note = err.Error() + srv.output.says()
			a.Conclude()
			return a, nil
		}
		req.own = true
	case req.PID != 0:
		if err := inventory.Exists(req.PID); err != nil {
			return nil, badInput("-pid %d: %v", req.PID, err)
		}
		var err error
		if socks, err = inventory.List(inventory.Filter{PIDs: []int{req.PID}}); err != nil {
			return nil, err
		}
		if len(socks) == 0 {
			if err := inventory.HoldersReadable(req.PID); err != nil {
				// Not "no socket": none could be seen.
				a.Note = fmt.Sprintf("the sockets of process %d could not be read: %v; run the audit as root", req.PID, err)
				a.Conclude()
				return a, nil
			}
			return nil, badInput("process %d has no listening TCP or bound UDP socket", req.PID)
		}
	default:
		var err error
		if socks, err = inventory.List(inventory.Filter{Protos: []matrix.Proto{req.Proto}, Port: req.Port}); err != nil {
			return nil, err
		}
		if len(socks) == 0 {
			verb := "listening on"
			if req.Proto == matrix.UDP {
				verb = "bound to"
			}
			return nil, badInput("nothing is %s %s port %d here", verb, req.Proto, req.Port)
		}
	}

	audited, err := attack(ctx, socks, socks, req.Options, w)
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	if err != nil {
		a.Note = err.Error()
		a.Conclude()
		return a, nil
	}
	if srv != nil {
		var late []matrix.AuditSocket
		late, socks, err = auditLateSockets(ctx, srv, socks, req.Options, w)
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		audited = append(audited, late...)
		if err != nil {
			a.Note = err.Error()
		}
		a.Target.Settle = settleFor(req.Wait).String()
	}
	a.Sockets = audited
	a.Target.Users = usersOf(a.Target.Users, audited)

	if req.Restart {
		r, again := restartCheck(ctx, srv, socks, w, req.Wait, req.Log)
		if again != nil {
			defer again.stop()
		}
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		a.Restart = &r
	}
	a.Conclude()
	return a, nil
}

// Sockets audits sockets found some other way (a test's own listener):
// the attempts of Run, without finding or restarting anything.
func Sockets(socks []inventory.Socket, opt Options) (*matrix.Audit, error) {
	if err := checkOptions(opt); err != nil {
		return nil, err
	}
	a := &matrix.Audit{Schema: matrix.AuditSchema, Platform: host.Platform(),
		Target: matrix.AuditTarget{Deliver: opt.Deliver, Users: append([]string{"same"}, opt.As...)}}
	w, _ := witness.Open(witness.Best)
	defer w.Close()
	opt.own = true
	audited, err := attack(context.Background(), socks, socks, opt, w)
	if err != nil {
		return nil, err
	}
	a.Sockets = audited
	a.Target.Users = usersOf(a.Target.Users, audited)
	a.Conclude()
	return a, nil
}

// attack makes every attempt against every socket of targets from helper
// processes, until ctx is cancelled; all are every socket under audit
// (another program's socket on one of their ports gets no test traffic).
// Sockets on one address are one group, judged once.
func attack(ctx context.Context, targets, all []inventory.Socket, opt Options, w witness.Witness) ([]matrix.AuditSocket, error) {
	att, err := newAttacker(opt, w, all)
	if err != nil {
		return nil, err
	}
	defer att.stop()
	out := []matrix.AuditSocket{}
	for _, g := range groupsOf(targets) {
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		out = append(out, att.auditGroup(ctx, g))
	}
	return out, nil
}

// groupsOf gathers the sockets of one protocol, family and address: on
// Linux several listeners there are a SO_REUSEPORT group (a server with a
// socket per worker or thread), which a newcomer joins as a whole, so it
// is judged once, with traffic sized to it.
func groupsOf(socks []inventory.Socket) [][]inventory.Socket {
	var groups [][]inventory.Socket
	for _, s := range socks {
		i := slices.IndexFunc(groups, func(g []inventory.Socket) bool {
			return g[0].Proto == s.Proto && g[0].Family == s.Family && g[0].Local == s.Local && g[0].UID == s.UID
		})
		if i < 0 {
			groups = append(groups, []inventory.Socket{s})
			continue
		}
		groups[i] = append(groups[i], s)
	}
	return groups
}

// lateRounds bounds how often the server's sockets are listed again after
// the attempts, for sockets it opened meanwhile.
const lateRounds = 3

// auditLateSockets lists the server's sockets again after the attempts and
// audits the serving ones it opened meanwhile (a listener opened 200 ms
// after the first), until a listing finds none new. It returns their audits and every
// socket audited; an error says the server kept opening sockets.
func auditLateSockets(ctx context.Context, srv *server, socks []inventory.Socket, opt Options, w witness.Witness) ([]matrix.AuditSocket, []inventory.Socket, error) {
	var out []matrix.AuditSocket
	for range lateRounds {
		again, err := srv.sockets()
		if err != nil {
			return out, socks, fmt.Errorf("the server's sockets could not be listed again after the attempts: %w", err)
		}
		// Serving sockets only: a resolver's query sockets come and go on
		// ephemeral ports all the time, and would never let this end.
		// A socket whose owner the OS does not record (Wine) is the
		// server's only by when it appeared: after the attempts, other
		// programs' sockets come and go too, and taking one for the
		// server's would attack a stranger. Such late sockets stay out.
		fresh := serving(slices.DeleteFunc(again, func(x inventory.Socket) bool {
			return x.Unrecorded || slices.ContainsFunc(socks, func(s inventory.Socket) bool { return identical(s, x) })
		}), 0)
		if len(fresh) == 0 {
			return out, socks, nil
		}
		socks = append(socks, fresh...)
		opt.own = true
		more, err := attack(ctx, fresh, socks, opt, w)
		if err != nil {
			return out, socks, err
		}
		for i := range more {
			more[i].Note = joinNotes(more[i].Note, "opened by the server after the first listing; found by listing again after the attempts")
		}
		out = append(out, more...)
	}
	return out, socks, fmt.Errorf("the server still opened new sockets after %d listings", lateRounds+1)
}

// usersOf adds to users every user an attempt ran as (a socket's owner).
func usersOf(users []string, socks []matrix.AuditSocket) []string {
	for _, s := range socks {
		for _, at := range s.Attempts {
			if !slices.Contains(users, at.User) {
				users = append(users, at.User)
			}
		}
	}
	return users
}

// check refuses requests that cannot be carried out, before anything runs.
func check(req Request) error {
	given := 0
	for _, set := range []bool{req.Port != 0, req.PID != 0, len(req.Command) > 0} {
		if set {
			given++
		}
	}
	switch {
	case given != 1:
		return badInput("give one of -port, -pid or a command after --")
	case req.Restart && len(req.Command) == 0:
		return badInput("-restart restarts a command the audit started: give it after --")
	case len(req.Command) > 0 && req.Wait <= 0:
		return badInput("-wait %v: give how long the command may take to listen, more than 0", req.Wait)
	}
	return checkOptions(req.Options)
}

func checkOptions(opt Options) error {
	switch {
	case len(opt.As) > 0 && runtime.GOOS == "windows":
		return badInput("-as is not offered on Windows: starting a process as another account needs its password")
	case len(opt.As) > 0 && os.Geteuid() != 0:
		return badInput("-as needs root (running as uid %d)", os.Geteuid())
	case opt.DeliverCount < 0:
		return badInput("-count %d: give a number of connections", opt.DeliverCount)
	}
	for i, u := range opt.As {
		if u == "same" || slices.Contains(opt.As[:i], u) {
			return badInput("-as %s: name each other user once", u)
		}
		if _, err := user.Lookup(u); err != nil && u != "nobody" {
			return badInput("-as %s: %v", u, err)
		}
	}
	return nil
}

func joinNotes(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func cmpOr(v, fallback int) int {
	if v == 0 {
		return fallback
	}
	return v
}
