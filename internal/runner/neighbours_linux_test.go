package runner

import (
	"strings"
	"testing"

	"github.com/bindmatrix/bindmatrix/internal/sock"
	"github.com/bindmatrix/bindmatrix/internal/walk"
	"github.com/bindmatrix/bindmatrix/internal/witness"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// reusePortInterloper binds a socket with SO_REUSEADDR and SO_REUSEPORT to
// the cell's port, as another same-user program could, and listens if told.
func reusePortInterloper(t *testing.T, port uint16, listen bool) sock.Socket {
	t.Helper()
	s, err := sock.Open(matrix.SockIPv4, matrix.TCP)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []matrix.Option{matrix.ReuseAddr, matrix.ReusePort} {
		if err := s.SetOption(o); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Bind(sock.Addr(matrix.SockIPv4, matrix.Specific, port)); err != nil {
		t.Fatalf("the interloper's bind beside the TIME_WAIT entry: %v", err)
	}
	if listen {
		if err := s.Listen(); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

var timeWaitCell = matrix.NewCell(matrix.TCP, matrix.IPv4, matrix.TimeWait, matrix.Specific, matrix.Specific, matrix.ReuseAddr, matrix.ReusePort)

// TestAnInterloperLetsReusePortPassTimeWait is the evidence for why a
// cell's port must be nobody else's: Linux refuses a SO_REUSEPORT bind
// beside a TIME_WAIT entry left by a SO_REUSEADDR listener, but once a
// same-user socket with SO_REUSEADDR and SO_REUSEPORT sits on the port (it
// may, beside the TIME_WAIT entry) the bind passes. The flake two reviews
// saw was this cell.
func TestAnInterloperLetsReusePortPassTimeWait(t *testing.T) {
	w := testWorker(t)
	if _, ok := w.witness.(witness.PortWatcher); !ok {
		t.Skip("skipped: no sock_diag witness here")
	}
	if r := w.runCell(timeWaitCell); r.Outcome != matrix.Failed("bind", "EADDRINUSE") {
		t.Fatalf("alone: %s (%s), want bind:EADDRINUSE", r.Outcome, r.Note)
	}
	first, err := w.walkFirst(timeWaitCell)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { w.book.Release(first.Port, first.Release()) }()
	interloper := reusePortInterloper(t, first.Port, false)
	defer interloper.Close()
	second, outcome, _, err := w.attemptSecond(timeWaitCell, first.Port)()
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if outcome != matrix.OK {
		t.Errorf("beside a bound SO_REUSEADDR+SO_REUSEPORT socket: %s, want ok (the kernel's fast path): if this changed, the README's account of the flake is out of date", outcome)
	}
}

// TestANeighbourOnThePortIsUnreached: a listener of somebody else on the
// cell's port, or the state's entry gone, makes the cell unreached with
// the reason, never an answer.
func TestANeighbourOnThePortIsUnreached(t *testing.T) {
	w := testWorker(t)
	if _, ok := w.witness.(witness.PortWatcher); !ok {
		t.Skip("skipped: no sock_diag witness here")
	}
	var held []sock.Socket
	defer func() {
		for _, s := range held {
			s.Close()
		}
	}()
	w.beforeSecond = func(first *walk.Held) { held = append(held, reusePortInterloper(t, first.Port, true)) }
	r := w.runCell(timeWaitCell)
	if r.Outcome != matrix.Unreached || !strings.Contains(r.Note, "shared with a socket this cell did not make") {
		t.Errorf("a listening neighbour: %s (%s), want unreached naming it", r.Outcome, r.Note)
	}

	d, ok := w.witness.(witness.TimeWaitDestroyer)
	if !ok {
		t.Skip("skipped: removing a TIME_WAIT entry needs sock_diag's SOCK_DESTROY")
	}
	destroyed := 0
	w.beforeSecond = func(first *walk.Held) {
		if err := d.DestroyOwnTimeWait(first.Connection); err == nil {
			destroyed++
		}
	}
	r = w.runCell(timeWaitCell)
	if destroyed == 0 {
		t.Skip("skipped: SOCK_DESTROY refused (it needs CAP_NET_ADMIN)")
	}
	if r.Outcome != matrix.Unreached || !strings.Contains(r.Note, "did not hold") {
		t.Errorf("the TIME_WAIT entry gone before the second bind: %s (%s), want unreached saying the state did not hold", r.Outcome, r.Note)
	}
}
