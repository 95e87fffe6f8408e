package witness

import (
	"net/netip"
	"runtime"
	"sync"
	"testing"

	"github.com/bindmatrix/bindmatrix/internal/socktable"
)

// tables is a costly witness whose reads wait for the test: read n answers
// one entry with inode n.
type tables struct {
	mu      sync.Mutex
	reads   int
	begun   chan int
	release chan struct{}
}

func (t *tables) Name() string { return "tables" }
func (t *tables) Close() error { return nil }
func (t *tables) Lookup(local, remote netip.AddrPort) (socktable.Entry, bool, error) {
	panic("Shared asks for snapshots only")
}
func (t *tables) Snapshot(netip.AddrPort) ([]socktable.Entry, error) {
	t.mu.Lock()
	t.reads++
	n := t.reads
	t.mu.Unlock()
	t.begun <- n
	<-t.release
	return []socktable.Entry{{Inode: uint64(n)}}, nil
}

func waitForWaiting(s *Shared, n int) {
	for {
		s.mu.Lock()
		w := s.waiting
		s.mu.Unlock()
		if w == n {
			return
		}
		runtime.Gosched()
	}
}

// A question asked while a read is under way gets the next read, and the
// questions waiting together share it.
func TestSharedAnswersFromAReadBegunAfterTheQuestion(t *testing.T) {
	tb := &tables{begun: make(chan int, 10), release: make(chan struct{})}
	s, ok := NewShared(tb)
	if !ok {
		t.Fatal("a witness with Snapshot is not shared")
	}
	first := make(chan uint64, 1)
	go func() {
		es, _ := s.Snapshot(netip.AddrPort{})
		first <- es[0].Inode
	}()
	if n := <-tb.begun; n != 1 {
		t.Fatalf("read %d began, want 1", n)
	}
	const late = 5
	answers := make(chan uint64, late)
	for range late {
		go func() {
			es, _ := s.Snapshot(netip.AddrPort{})
			answers <- es[0].Inode
		}()
	}
	waitForWaiting(s, late)
	tb.release <- struct{}{} // read 1 ends
	if got := <-first; got != 1 {
		t.Errorf("the first question got read %d, want 1", got)
	}
	if n := <-tb.begun; n != 2 {
		t.Fatalf("read %d began, want 2", n)
	}
	tb.release <- struct{}{}
	for range late {
		if got := <-answers; got != 2 {
			t.Errorf("a question asked during read 1 got read %d, want 2", got)
		}
	}
	if tb.reads != 2 {
		t.Errorf("%d reads for %d questions, want 2", tb.reads, late+1)
	}
}

func TestSharedOnlyTakesCostlyWitnesses(t *testing.T) {
	if _, ok := NewShared(None{}); ok {
		t.Error("NewShared shares a witness without Snapshot")
	}
}
