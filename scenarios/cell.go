package scenarios

import (
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"strings"

	"github.com/bindmatrix/bindmatrix/internal/deliver"
	"github.com/bindmatrix/bindmatrix/internal/sock"
	"github.com/bindmatrix/bindmatrix/internal/socktable"
	"github.com/bindmatrix/bindmatrix/internal/walk"
	"github.com/bindmatrix/bindmatrix/internal/witness"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// cellTries is how many fresh ports a cell gets before an answer that may
// come from another program's socket stands. Nothing holds a closed port, so
// another program's bind or connect may take it between the first socket's
// close and the second bind; any cell's setup may lose its port to one.
// Such an interloper can only add a conflict, never remove one: a closed
// cell's failure and any unreached cell are tried again, an ok needs no
// confirmation, and a failure of any other state is the kernel's answer.
const cellTries = 3

// portTries bounds the ports a first socket tries when others take them
// between the probe and its bind.
const portTries = 20

// runCell asks one cell's question and records the answer with its evidence.
func (w *worker) runCell(c matrix.Cell) matrix.Result {
	first, port := w.runCellOnce(c)
	retry := func(r matrix.Result) bool {
		return r.Outcome == matrix.Unreached || c.State == matrix.Closed && r.Outcome.Call() != ""
	}
	if !retry(first) {
		return first
	}
	tries := []string{fmt.Sprintf("%s on port %d", first.Outcome, port)}
	for len(tries) < cellTries {
		again, againPort := w.runCellOnce(c)
		if !retry(again) {
			again.Note = strings.TrimPrefix(again.Note+"; after "+strings.Join(tries, ", "), "; ")
			return again
		}
		tries = append(tries, fmt.Sprintf("%s on port %d", again.Outcome, againPort))
	}
	first.Note = strings.TrimPrefix(first.Note+"; the same on fresh ports: "+strings.Join(tries, ", "), "; ")
	return first
}

// runCellOnce runs a cell on a fresh port and returns the port it used.
func (w *worker) runCellOnce(c matrix.Cell) (matrix.Result, uint16) {
	r := matrix.Result{Cell: c}
	for _, o := range []matrix.Option{c.First, c.Second} {
		if !sock.OptionExists(o) {
			r.Outcome = matrix.Unsupported
			r.Witness = "none needed: no socket was made"
			r.Note = fmt.Sprintf("%s does not exist on %s", o, runtime.GOOS)
			return r, 0
		}
	}
	first, err := w.walkFirst(c)
	if first == nil {
		return w.unreached(r, err), 0
	}
	shared := false // a socket this cell did not make was on its port
	defer func() { w.book.Release(first.Port, first.Release() || shared) }()
	r.Witness = first.Evidence
	if err != nil {
		return w.unreached(r, err), first.Port
	}
	if w.beforeSecond != nil {
		w.beforeSecond(first)
	}
	second, outcome, native, err := w.attemptSecond(c, first.Port)
	defer second.Close()
	if err != nil {
		r.Outcome = matrix.Unreached
		r.Note = "second socket: " + err.Error()
		return r, first.Port
	}
	if err := w.stillAlone(c, first, outcome); err != nil {
		shared = true
		return w.unreached(r, err), first.Port
	}
	r.Outcome, r.Native = outcome, native
	if r.Outcome == matrix.OK && matrix.DeliveryApplies(c) {
		target := deliveryTarget(c, first.Port)
		t, err := deliver.Run(deliver.Plan{Proto: c.Proto, To: target, Max: deliveryCount, Round: deliveryRound, StopWhenShared: true},
			first.Receiver, second)
		switch {
		case err != nil:
			r.Outcome, r.Note = matrix.Unreached, err.Error()
		case !t.Complete:
			r.Outcome, r.Note = matrix.Unreached, t.Note(target, "the first socket", "the second")
		default:
			r.Delivery, r.Note = deliveryVerdict(t.Received[0], t.Received[1]), t.Note(target, "the first socket", "the second")
		}
	}
	return r, first.Port
}

// stillAlone checks, once the second socket has its answer, that the
// answer is to the cell's question: the state the walk proved still holds
// (its connection's entry is still in the kernel's table, the same socket),
// and no socket the cell did not make shares the port where the witness can
// see it cheaply (listeners, UDP sockets). Another program's socket there
// can change the answer: a same-user socket with SO_REUSEADDR and
// SO_REUSEPORT beside a TIME_WAIT entry lets a SO_REUSEPORT bind pass it.
func (w *worker) stillAlone(c matrix.Cell, first *walk.Held, outcome matrix.Outcome) error {
	if conn := first.Connection; conn.Remote.IsValid() {
		e, found, err := w.witness.Lookup(conn.Local, conn.Remote)
		switch {
		case err != nil:
			return fmt.Errorf("looking again for the %s entry %v<->%v after the second bind: %w", conn.State, conn.Local, conn.Remote, err)
		case !found || e.State != conn.State || e.Cookie != conn.Cookie:
			return fmt.Errorf("the %s entry %v<->%v was gone once the second socket had its answer (the state did not hold)", conn.State, conn.Local, conn.Remote)
		}
	}
	watcher, ok := w.witness.(witness.PortWatcher)
	if !ok {
		return nil
	}
	on, err := watcher.OnPort(c.Proto.String(), first.Port)
	if err != nil {
		return fmt.Errorf("listing the sockets on port %d after the second bind: %w", first.Port, err)
	}
	want := 0
	if c.State == matrix.Listening || c.Proto == matrix.UDP && c.State == matrix.Bound {
		want++ // the first socket, listening (TCP) or bound (UDP)
	}
	if outcome == matrix.OK {
		want++
	}
	if len(on) > want {
		return fmt.Errorf("port %d was shared with a socket this cell did not make: %d %s sockets on it where the cell has %d (%s)", first.Port, len(on), c.Proto, want, describe(on))
	}
	if len(on) < want {
		return fmt.Errorf("port %d: %d %s sockets on it where the cell has %d (%s)", first.Port, len(on), c.Proto, want, describe(on))
	}
	return nil
}

// describe names sockets in a note: address, state and owner.
func describe(es []socktable.Entry) string {
	var parts []string
	for _, e := range es {
		p := e.Local.String()
		if e.Proto == "tcp" {
			p += " " + e.State.String()
		}
		if e.UID >= 0 {
			p += fmt.Sprintf(" uid %d", e.UID)
		}
		if e.Inode != 0 {
			p += fmt.Sprintf(" inode %d", e.Inode)
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ", ")
}

// unreached records why the first socket's state was not reached; a run
// without a witness says why it has none.
func (w *worker) unreached(r matrix.Result, err error) matrix.Result {
	r.Outcome, r.Note = matrix.Unreached, err.Error()
	if w.witnessErr != nil {
		r.Note += " (" + w.witnessErr.Error() + ")"
	}
	return r
}

// walkFirst takes a clean port and walks the cell's first socket into its
// state there. A nil Held means no port could be bound.
func (w *worker) walkFirst(c matrix.Cell) (*walk.Held, error) {
	spec := walk.Spec{Proto: c.Proto, Family: c.FirstFamily, Addr: c.FirstAddr, Option: c.First, State: c.State}
	var last error
	for range portTries {
		port, err := w.book.Take(c.Proto)
		if err != nil {
			return nil, err
		}
		held, err := walk.Walk(spec, port, w.witness)
		if held != nil {
			return held, err
		}
		w.book.Release(port, false)
		if !errors.Is(err, walk.ErrPortTaken) {
			return nil, err
		}
		last = err // another process took it since the probe: try another
	}
	return nil, fmt.Errorf("first socket: no port could be bound in %d tries: %v", portTries, last)
}

// secondSocket is the second socket, in this process or in a helper.
type secondSocket interface {
	Drain() (int, error)
	Close() error
}

// attemptSecond makes the second socket's attempt on port: open, set its
// option, bind and, for TCP, listen, in this process or in the worker's
// helper for the cell's process.
func (w *worker) attemptSecond(c matrix.Cell, port uint16) (secondSocket, matrix.Outcome, int, error) {
	addr := sock.Addr(c.SecondFamily, c.SecondAddr, port)
	if c.Process == matrix.SameProcess {
		return sock.Attempt(c.SecondFamily, c.Proto, c.Second, addr)
	}
	h, err := w.helper(c.Process)
	if err != nil {
		return sock.Socket{}, "", 0, err
	}
	return h.Attempt(c.SecondFamily, c.Proto, c.Second, addr)
}

// The delivery check: deliveryCount connections or datagrams at most, each
// from its own client port: enough that two sockets sharing a port by hash
// (SO_REUSEPORT) both get some unless something is wrong (a fair split
// misses one side with odds of 2^-31), few enough to take a millisecond.
// The check stops once both sockets have received: the verdict is then
// both, and more traffic could not change it.
const (
	deliveryCount = 32
	deliveryRound = 4 // sent between two looks at the counts
)

// deliveryTarget is the loopback address both sockets can receive on:
// IPv6's when either socket is IPv6-only, IPv4's otherwise.
func deliveryTarget(c matrix.Cell, port uint16) netip.AddrPort {
	fam := matrix.SockIPv4
	if c.FirstFamily == matrix.SockIPv6 || c.SecondFamily == matrix.SockIPv6 {
		fam = matrix.SockIPv6
	}
	_, target := sock.Loopback(fam, port)
	return target
}

func deliveryVerdict(toFirst, toSecond int) matrix.Delivery {
	switch {
	case toFirst > 0 && toSecond > 0:
		return matrix.DeliveredBoth
	case toFirst > 0:
		return matrix.DeliveredFirst
	case toSecond > 0:
		return matrix.DeliveredSecond
	}
	return matrix.DeliveredNone
}
