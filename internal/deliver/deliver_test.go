package deliver_test

import (
	"strings"
	"testing"
	"time"

	"github.com/bindmatrix/bindmatrix/internal/deliver"
	"github.com/bindmatrix/bindmatrix/internal/sock"
	"github.com/bindmatrix/bindmatrix/matrix"
)

func receiver(t *testing.T, proto matrix.Proto) (sock.Socket, string) {
	t.Helper()
	s, outcome, _, err := sock.Attempt(matrix.SockIPv4, proto, matrix.None, sock.Addr(matrix.SockIPv4, matrix.Specific, 0))
	if err != nil || outcome != matrix.OK {
		t.Fatalf("receiver: %s %v", outcome, err)
	}
	t.Cleanup(func() { s.Close() })
	at, _ := s.LocalAddr()
	return s, at.String()
}

// TestEverythingSentIsCounted: with one receiver everything goes to it, and
// the tally is complete only when the counts add up.
func TestEverythingSentIsCounted(t *testing.T) {
	for _, proto := range matrix.Protos() {
		r, at := receiver(t, proto)
		addr, _ := r.LocalAddr()
		tally, err := deliver.Run(deliver.Plan{Proto: proto, To: addr, Max: 10, Round: 3}, r)
		if err != nil {
			t.Fatal(err)
		}
		if !tally.Complete || tally.Sent != 10 || tally.Received[0] != 10 {
			t.Errorf("%s to %s: %+v, want 10 sent and counted", proto, at, tally)
		}
		if note := tally.Note(addr, "the listener"); !strings.Contains(note, "10 of 10 sent reached the listener") {
			t.Errorf("note %q", note)
		}
	}
}

// TestUncountedTrafficIsIncomplete: traffic that reaches a socket nobody
// counts leaves the tally incomplete, unless the plan says some may.
func TestUncountedTrafficIsIncomplete(t *testing.T) {
	r, _ := receiver(t, matrix.TCP)
	addr, _ := r.LocalAddr()
	nobody := countsNothing{}
	for _, unseen := range []bool{false, true} {
		tally, err := deliver.Run(deliver.Plan{Proto: matrix.TCP, To: addr, Max: 4, Round: 4, Unseen: unseen, Patience: 10 * time.Millisecond}, nobody)
		if err != nil {
			t.Fatal(err)
		}
		if tally.Complete != unseen || tally.Sent != 4 {
			t.Errorf("unseen=%v: %+v", unseen, tally)
		}
		r.Drain()
	}
}

type countsNothing struct{}

func (countsNothing) Drain() (int, error) { return 0, nil }

// TestSendingStopsAtAFailure: a target nobody listens on stops the check,
// which is then no verdict.
func TestSendingStopsAtAFailure(t *testing.T) {
	r, _ := receiver(t, matrix.TCP)
	addr, _ := r.LocalAddr()
	r.Close()
	tally, err := deliver.Run(deliver.Plan{Proto: matrix.TCP, To: addr, Max: 4, Round: 2}, countsNothing{})
	if err != nil {
		t.Fatal(err)
	}
	if tally.Complete || tally.Stopped == nil || tally.Sent != 0 {
		t.Errorf("%+v, want an incomplete tally that says why it stopped", tally)
	}
}
