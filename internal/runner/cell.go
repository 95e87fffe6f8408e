package runner

import (
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"strings"

	"github.com/bindmatrix/bindmatrix/internal/child"
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
	return w.runCells([]matrix.Cell{c})[0]
}

// runCells asks the cells' questions, each on a port of its own, and
// records the answers with their evidence.
func (w *worker) runCells(cells []matrix.Cell) []matrix.Result {
	trials := make([]*trial, len(cells))
	for i, c := range cells {
		trials[i] = w.prepare(c)
	}
	w.try(trials)
	results := make([]matrix.Result, len(cells))
	for i, t := range trials {
		results[i] = w.confirm(t.result, t.port)
	}
	return results
}

// confirm tries a cell again on fresh ports when its first answer, given
// on port, may come from another program's socket.
func (w *worker) confirm(first matrix.Result, port uint16) matrix.Result {
	c := first.Cell
	retry := func(r matrix.Result) bool {
		return r.Outcome == matrix.Unreached || c.State == matrix.Closed && r.Outcome.Call() != ""
	}
	if !retry(first) {
		return first
	}
	tries := []string{fmt.Sprintf("%s on port %d", first.Outcome, port)}
	for len(tries) < cellTries {
		again, againPort := w.tryCell(c)
		if !retry(again) {
			again.Note = strings.TrimPrefix(again.Note+"; after "+strings.Join(tries, ", "), "; ")
			return again
		}
		tries = append(tries, fmt.Sprintf("%s on port %d", again.Outcome, againPort))
	}
	first.Note = strings.TrimPrefix(first.Note+"; the same on fresh ports: "+strings.Join(tries, ", "), "; ")
	return first
}

// tryCell runs a cell once, alone, on a fresh port and returns the port it
// used.
func (w *worker) tryCell(c matrix.Cell) (matrix.Result, uint16) {
	t := w.prepare(c)
	w.try([]*trial{t})
	return t.result, t.port
}

// try takes prepared trials together through each step: every first
// socket's state proven, every second socket's attempt made (a helper's in
// one request), every answer read and checked. Where a step costs a wait
// for another process (a helper; a witness that reads whole tables: under
// QEMU's TCG and Wine, milliseconds), the batch waits once, not per cell.
func (w *worker) try(trials []*trial) {
	w.prove(trials)
	for _, t := range trials {
		w.attempt(t)
	}
	for _, t := range trials {
		w.answer(t)
	}
	after := w.tablesAfter(trials)
	for _, t := range trials {
		w.finish(t, after)
	}
	w.end(trials)
}

// trial is one try of a cell on a port of its own: its result so far, and
// the sockets it holds until end.
type trial struct {
	result matrix.Result
	port   uint16
	first  *walk.Held // nil when no port was bound
	// over says the result stands before any second socket: unsupported,
	// or the first socket's state not reached.
	over bool
	// shared says a socket this cell did not make was on its port.
	shared bool
	// answer gives the second socket's attempt, made by attempt (in this
	// process) or asked of a helper there and read when called; nil when
	// the trial ended before the second socket.
	answer func() (secondSocket, matrix.Outcome, int, error)
	second secondSocket
	// What the answer was, once read.
	outcome matrix.Outcome
	native  int
	err     error
}

// prepare walks the cell's first socket into its state on a fresh port;
// where the witness reads whole tables, the proof of a connection's state
// waits for prove.
func (w *worker) prepare(c matrix.Cell) *trial {
	t := &trial{result: matrix.Result{Cell: c}, over: true}
	for _, o := range []matrix.Option{c.First, c.Second} {
		if !sock.OptionExists(o) {
			t.result.Outcome = matrix.Unsupported
			t.result.Witness = "none needed: no socket was made"
			t.result.Note = fmt.Sprintf("%s does not exist on %s", o, runtime.GOOS)
			return t
		}
	}
	first, err := w.walkFirst(c)
	if first == nil {
		t.result = w.unreached(t.result, err)
		return t
	}
	t.first, t.port = first, first.Port
	if err != nil {
		t.result = w.unreached(t.result, err)
		return t
	}
	t.over = false
	return t
}

// prove proves the states prepare left pending, from one read of the
// tables begun after every trial was prepared.
func (w *worker) prove(trials []*trial) {
	var tables []socktable.Entry
	read := false
	for _, t := range trials {
		if t.over || !t.first.Pending() {
			continue
		}
		if !read {
			// Every table: an IPv4 connection of a dual-stack socket is in
			// the IPv6 one. A read that failed, even in part, proves
			// nothing: each proof then asks the witness and says its error.
			var err error
			if tables, err = w.witness.(witness.Snapshotter).Snapshot(netip.AddrPortFrom(netip.IPv4Unspecified(), 0)); err != nil {
				tables = nil
			}
			read = true
		}
		if err := t.first.Prove(tables); err != nil {
			t.result, t.over = w.unreached(t.result, err), true
		}
	}
}

// attempt starts the second socket's attempt on the trial's port.
func (w *worker) attempt(t *trial) {
	if t.first != nil {
		t.result.Witness = t.first.Evidence
	}
	if t.over {
		return
	}
	if w.beforeSecond != nil {
		w.beforeSecond(t.first)
	}
	t.answer = w.attemptSecond(t.result.Cell, t.port)
}

// answer reads the second socket's answer.
func (w *worker) answer(t *trial) {
	if t.answer != nil {
		t.second, t.outcome, t.native, t.err = t.answer()
	}
}

// tables is one read of the witness's whole tables, begun once the second
// sockets of a batch had their answers.
type tables struct {
	entries []socktable.Entry
	err     error
}

// tablesAfter reads the whole tables once for the trials' looks again at
// their connections, where the witness reads whole tables for any question
// (iphlpapi, netstat): one read then serves the batch. It is nil where the
// witness answers each question on its own (sock_diag), or no trial asks.
func (w *worker) tablesAfter(trials []*trial) *tables {
	snap, ok := w.witness.(witness.Snapshotter)
	if !ok {
		return nil
	}
	for _, t := range trials {
		if t.answer != nil && t.err == nil && t.first.Connection.Remote.IsValid() {
			// Every table: an IPv4 connection of a dual-stack socket is in
			// the IPv6 one.
			entries, err := snap.Snapshot(netip.AddrPortFrom(netip.IPv4Unspecified(), 0))
			return &tables{entries, err}
		}
	}
	return nil
}

// finish checks that the second socket's answer answers the cell's
// question, and sees who receives where both sockets hold the port.
func (w *worker) finish(t *trial, after *tables) {
	if t.answer == nil {
		return
	}
	c := t.result.Cell
	second, outcome, native := t.second, t.outcome, t.native
	if t.err != nil {
		t.result.Outcome = matrix.Unreached
		t.result.Note = "second socket: " + t.err.Error()
		return
	}
	if err := w.stillAlone(c, t.first, outcome, after); err != nil {
		t.shared = true
		t.result = w.unreached(t.result, err)
		return
	}
	t.result.Outcome, t.result.Native = outcome, native
	if outcome == matrix.OK && matrix.DeliveryApplies(c) {
		target := deliveryTarget(c, t.port)
		tally, err := deliver.Run(deliver.Plan{Proto: c.Proto, To: target, Max: deliveryCount, Round: deliveryRound, StopWhenShared: true},
			t.first.Receiver, second)
		switch {
		case err != nil:
			t.result.Outcome, t.result.Note = matrix.Unreached, err.Error()
		case !tally.Complete:
			t.result.Outcome, t.result.Note = matrix.Unreached, tally.Note(target, "the first socket", "the second")
		default:
			t.result.Delivery = deliveryVerdict(tally.Received[0], tally.Received[1])
			t.result.Note = tally.Note(target, "the first socket", "the second")
		}
	}
}

// end closes the trials' sockets and gives their ports back: the second
// sockets first, a helper's closes together, then the first.
func (w *worker) end(trials []*trial) {
	for _, t := range trials {
		switch s := t.second.(type) {
		case nil:
		case child.Socket:
			s.CloseLater()
		default:
			s.Close()
		}
	}
	// The helper must have closed before the ports go back: another worker
	// may take one at once, and where the witness lists no neighbours
	// (Windows) nothing would see the helper's socket still on it.
	w.helpers.Each(func(h *child.Helper) {
		h.Settle() // a failure marks the helper dead, and its sockets died with it
	})
	for _, t := range trials {
		if t.first != nil {
			w.book.Release(t.first.Port, t.first.Release() || t.shared)
		}
	}
}

// stillAlone checks, once the second socket has its answer, that the
// answer is to the cell's question: the state the walk proved still holds
// (its connection's entry is still in the kernel's table, the same socket),
// and no socket the cell did not make shares the port where the witness can
// see it cheaply (listeners, UDP sockets). Another program's socket there
// can change the answer: a same-user socket with SO_REUSEADDR and
// SO_REUSEPORT beside a TIME_WAIT entry lets a SO_REUSEPORT bind pass it.
// The connection is looked for in after when the batch read the tables,
// else asked of the witness.
func (w *worker) stillAlone(c matrix.Cell, first *walk.Held, outcome matrix.Outcome, after *tables) error {
	if conn := first.Connection; conn.Remote.IsValid() {
		e, found, err := w.lookAgain(conn.Local, conn.Remote, after)
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
		return fmt.Errorf("port %d was shared with a socket this cell did not make: %d %s sockets on it where the cell has %d (%s)", first.Port, len(on), c.Proto, want, socktable.Describe(on))
	}
	if len(on) < want {
		return fmt.Errorf("port %d: %d %s sockets on it where the cell has %d (%s)", first.Port, len(on), c.Proto, want, socktable.Describe(on))
	}
	return nil
}

// lookAgain finds the connection local<->remote in after, or asks the
// witness when the batch read no tables.
func (w *worker) lookAgain(local, remote netip.AddrPort, after *tables) (socktable.Entry, bool, error) {
	if after == nil {
		return w.witness.Lookup(local, remote)
	}
	if after.err != nil {
		return socktable.Entry{}, false, after.err
	}
	e, found := socktable.Find(after.entries, local, remote)
	return e, found, nil
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
		held, err := walk.Prepare(spec, port, w.witness)
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
// helper for the cell's process. A helper's attempt is only asked here; the
// function returned reads its answer.
func (w *worker) attemptSecond(c matrix.Cell, port uint16) func() (secondSocket, matrix.Outcome, int, error) {
	addr := sock.Addr(c.SecondFamily, c.SecondAddr, port)
	if c.Process == matrix.SameProcess {
		s, outcome, native, err := sock.Attempt(c.SecondFamily, c.Proto, c.Second, addr)
		return func() (secondSocket, matrix.Outcome, int, error) { return s, outcome, native, err }
	}
	h, err := w.helpers.For(c.Process)
	if err != nil {
		return func() (secondSocket, matrix.Outcome, int, error) { return nil, "", 0, err }
	}
	pending := h.Begin(c.SecondFamily, c.Proto, c.Second, addr)
	return func() (secondSocket, matrix.Outcome, int, error) {
		s, outcome, native, err := pending.Wait()
		return s, outcome, native, err
	}
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

// deliveryTarget is where a client reaches the first socket: the address
// it bound, or its family's loopback when it bound the unspecified one
// (IPv4's for a dual-stack socket). The delivery then says whether the
// second socket took traffic meant for the first; in a cross cell whose
// sockets share no address it goes to the first alone.
func deliveryTarget(c matrix.Cell, port uint16) netip.AddrPort {
	a := matrix.CellAddr(c.FirstFamily, c.FirstAddr)
	switch {
	case a.Unmap().IsUnspecified():
		_, target := sock.Loopback(c.FirstFamily, port)
		return target
	case a.Is4In6():
		return netip.AddrPortFrom(a.Unmap(), port)
	}
	return netip.AddrPortFrom(a, port)
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
