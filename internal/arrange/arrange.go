// Package arrange runs an arrangement (matrix.Arrangement) on this
// machine's kernel: each socket made in order on one clean port, walked
// into its state and the state proven before the next is made, and every
// bind's outcome observed. It observes; internal/model predicts, and the
// command compares the two.
//
// A socket whose own bind or listen is refused is an outcome, and the run
// goes on without it. A state that cannot be proven, or that did not
// still hold once the last socket had its answer, makes the run
// unreached: its outcomes measured something else.
package arrange

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/bindmatrix/bindmatrix/internal/child"
	"github.com/bindmatrix/bindmatrix/internal/ports"
	"github.com/bindmatrix/bindmatrix/internal/sock"
	"github.com/bindmatrix/bindmatrix/internal/socktable"
	"github.com/bindmatrix/bindmatrix/internal/walk"
	"github.com/bindmatrix/bindmatrix/internal/witness"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// Result is one socket's observed outcome.
type Result struct {
	Socket   matrix.Socket
	Outcome  matrix.Outcome // ok, the call that failed and its errno, unsupported, or unreached
	Native   int            // the OS's own error number
	Evidence string         // what proved the state, for a socket that reached it
	Note     string
}

// Observation is a run of one arrangement.
type Observation struct {
	Port    uint16
	Results []Result
	// Unreached says why the outcomes cannot be believed: a state that
	// was not reached or did not hold, or a socket on the port the run did
	// not make. Empty when every state held.
	Unreached string
	// LookedAgain says how the states were seen to hold once the last
	// socket had its answer, when they were.
	LookedAgain string
	// Tainted says the run left TIME_WAIT entries it could not remove
	// (no SOCK_DESTROY without root): its port is out of use a while.
	Tainted bool
}

// Runner runs arrangements. It keeps one helper process per owner
// (another process of this user, a process of another user) across runs.
type Runner struct {
	witness witness.Witness
	book    *ports.Book
	helpers child.Helpers
	// beforeProbe, when set, runs before the last socket is made: a test
	// puts a stranger on the port with it.
	beforeProbe func(port uint16)
}

// NewRunner runs arrangements proving states with w.
func NewRunner(w witness.Witness) *Runner {
	return &Runner{witness: w, book: ports.NewBook()}
}

// Close stops the helpers and lets go of the ports.
func (r *Runner) Close() {
	r.helpers.Stop()
	r.book.Close()
}

// Run makes the arrangement's sockets on a clean port and observes them.
// The error is for a run that could not be made at all (no clean port, a
// helper that would not start, ctx done); a state not reached is in the
// observation.
func (r *Runner) Run(ctx context.Context, a matrix.Arrangement) (obs *Observation, err error) {
	if len(a.Clauses) == 0 {
		return nil, errors.New("an empty arrangement")
	}
	proto := a.Clauses[0].Proto
	port, err := r.book.Take(proto)
	if err != nil {
		return nil, err
	}
	run := &run{r: r, proto: proto, port: port}
	defer func() {
		tainted := run.release()
		r.book.Release(port, tainted)
		if obs != nil {
			obs.Tainted = tainted
		}
	}()
	// An interrupt kills the helpers, ending a wait for their answer.
	defer context.AfterFunc(ctx, r.helpers.Kill)()
	obs = &Observation{Port: port}
	sockets := a.Sockets()
	for i, s := range sockets {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if i == len(sockets)-1 && r.beforeProbe != nil {
			r.beforeProbe(port)
		}
		res, err := run.make(s)
		if err != nil {
			return nil, err
		}
		obs.Results = append(obs.Results, res)
		if res.Outcome == matrix.Unreached {
			obs.Unreached = fmt.Sprintf("socket %d (%s): %s", len(obs.Results), s.Addr, res.Note)
			return obs, nil
		}
	}
	if obs.LookedAgain, err = run.stillHeld(); err != nil {
		obs.Unreached = err.Error()
	}
	return obs, nil
}

// acceptPatience bounds the wait for a holder's own connection: where
// another listener of the arrangement takes it, the holder's state is
// unreached, and a long wait would only slow exploration down.
const acceptPatience = 50 * time.Millisecond

// run is one arrangement's sockets while it runs.
type run struct {
	r     *Runner
	proto matrix.Proto
	port  uint16
	held  []*walk.Held   // this process's sockets, walked
	there []child.Socket // sockets in helpers
	// receivers counts the sockets that should be on the port's listing:
	// listeners (TCP) and bound sockets (UDP).
	receivers int
	// listeningThere counts the listeners made in helpers, which only
	// that listing proves.
	listeningThere int
}

// make opens, sets up and binds one socket, and walks it into its state.
func (run *run) make(s matrix.Socket) (Result, error) {
	res := Result{Socket: s}
	for _, o := range s.Options {
		if !sock.OptionExists(o) {
			res.Outcome, res.Note = matrix.Unsupported, fmt.Sprintf("%s does not exist here", o)
			return res, nil
		}
	}
	local := netip.AddrPortFrom(s.Addr, run.port)
	if s.Owner != matrix.SameProcess {
		return run.makeThere(s, local, res)
	}
	sk, err := sock.Open(s.Family, s.Proto)
	if err != nil {
		res.Outcome, res.Note = matrix.Unreached, err.Error()
		return res, nil
	}
	for _, o := range s.Options {
		if err := sk.SetOption(o); err != nil {
			sk.Close()
			res.Outcome, res.Native = sock.Outcome(err)
			return res, nil
		}
	}
	if err := sk.Bind(local); err != nil {
		sk.Close()
		res.Outcome, res.Native = sock.Outcome(err)
		return res, nil
	}
	res.Outcome = matrix.OK
	if s.State == matrix.Closed {
		sk.Close()
		res.Evidence = "bound, then closed"
		return res, nil
	}
	spec := walk.Spec{Proto: s.Proto, Family: s.Family, State: s.State, AcceptPatience: acceptPatience}
	h, err := walk.Adopt(sk, spec, local, run.r.witness)
	if outcome, native := sock.Outcome(err); err != nil && outcome.Call() == "listen" {
		// A socket that could not listen is gone, as the model has it
		// (a server whose listen fails exits).
		h.Release()
		res.Outcome, res.Native = outcome, native
		return res, nil
	}
	run.held = append(run.held, h)
	if err != nil {
		res.Outcome, res.Note = matrix.Unreached, err.Error()
		return res, nil
	}
	res.Evidence = h.Evidence
	if s.State == matrix.Listening || s.Proto == matrix.UDP {
		run.receivers++
	}
	return res, nil
}

// makeThere makes the socket in a helper process of its owner. A helper
// holds bound and listening sockets; connections are walked in this
// process only.
func (run *run) makeThere(s matrix.Socket, local netip.AddrPort, res Result) (Result, error) {
	if s.State == matrix.TimeWait || s.State == matrix.Established {
		res.Outcome = matrix.Unreached
		res.Note = fmt.Sprintf("a %s socket of %s is not made yet: make it in this process", s.State, s.Owner)
		return res, nil
	}
	h, err := run.r.helpers.For(s.Owner)
	if err != nil {
		return res, fmt.Errorf("a helper process for %s sockets: %w", s.Owner, err)
	}
	listen := s.State == matrix.Listening
	hs, outcome, native, err := h.Make(s.Family, s.Proto, s.Options, local, listen)
	if err != nil {
		return res, err
	}
	res.Outcome, res.Native = outcome, native
	if outcome != matrix.OK {
		hs.Close()
		return res, h.Settle()
	}
	switch {
	case s.State == matrix.Closed:
		// The close must be done before the next socket binds: Settle
		// waits for the helper's answer to it.
		hs.Close()
		if err := h.Settle(); err != nil {
			return res, err
		}
		res.Evidence = fmt.Sprintf("bound by helper %d, then closed", h.Pid())
		return res, nil
	case listen:
		res.Evidence = fmt.Sprintf("bind and listen returned 0 in helper %d; the port's listing proves it at the end", h.Pid())
		run.listeningThere++
	default:
		res.Evidence = fmt.Sprintf("bind returned 0 in helper %d", h.Pid())
	}
	run.there = append(run.there, hs)
	if listen || s.Proto == matrix.UDP {
		run.receivers++
	}
	return res, nil
}

// stillHeld looks again, once the last socket had its answer: every
// connection's entry is there with the same cookie, and the port's
// listeners and UDP sockets are exactly the run's.
// The listing is also the proof of the sockets helpers put in listening:
// without one (no sock_diag), such an arrangement is unreached.
func (run *run) stillHeld() (evidence string, err error) {
	conns := 0
	for _, h := range run.held {
		conn := h.Connection
		if !conn.Remote.IsValid() {
			continue
		}
		e, found, err := run.r.witness.Lookup(conn.Local, conn.Remote)
		switch {
		case err != nil:
			return "", fmt.Errorf("looking again for the %s entry %v<->%v: %w", conn.State, conn.Local, conn.Remote, err)
		case !found || e.State != conn.State || e.Cookie != conn.Cookie:
			return "", fmt.Errorf("the %s entry %v<->%v was gone once the last socket had its answer (the state did not hold)", conn.State, conn.Local, conn.Remote)
		}
		conns++
	}
	watcher, ok := run.r.witness.(witness.PortWatcher)
	if !ok {
		if run.listeningThere > 0 {
			return "", fmt.Errorf("%d listening socket(s) of another process: only a listing of the port proves them, and %s lists none", run.listeningThere, run.r.witness.Name())
		}
		return fmt.Sprintf("%s found the %d connection(s) again by cookie; it lists no port's sockets", run.r.witness.Name(), conns), nil
	}
	on, err := watcher.OnPort(run.proto.String(), run.port)
	if err != nil {
		return "", fmt.Errorf("listing the sockets on port %d: %w", run.port, err)
	}
	if len(on) != run.receivers {
		return "", fmt.Errorf("port %d: %d %s sockets on it where the arrangement has %d (%s)", run.port, len(on), run.proto, run.receivers, socktable.Describe(on))
	}
	return fmt.Sprintf("%s, once the last socket had its answer: the %d connection(s) by cookie, and port %d's %d listener(s) or UDP socket(s), exactly the arrangement's",
		run.r.witness.Name(), conns, run.port, len(on)), nil
}

// release closes everything; tainted says a TIME_WAIT entry may remain.
func (run *run) release() (tainted bool) {
	for _, s := range run.there {
		s.Close()
	}
	for i := len(run.held) - 1; i >= 0; i-- {
		if run.held[i].Release() {
			tainted = true
		}
	}
	return tainted
}
