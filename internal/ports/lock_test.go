//go:build linux || windows

package ports

import (
	"testing"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// TestLockExcludesOtherBooks: two books (two bindmatrix runs, as far as the
// lock can tell) never hold the same port, where the OS has a lock.
func TestLockExcludesOtherBooks(t *testing.T) {
	a, b := NewBook(), NewBook()
	p, err := a.Take(matrix.TCP)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lockPort(matrix.TCP, p); err == nil {
		t.Fatalf("port %d locked twice", p)
	}
	for range 100 {
		q, err := b.Take(matrix.TCP)
		if err != nil {
			t.Fatal(err)
		}
		if q == p {
			t.Fatalf("the second book was handed port %d, which the first holds", p)
		}
		b.Release(q, false)
	}
	a.Release(p, false)
	l, err := lockPort(matrix.TCP, p)
	if err != nil {
		t.Fatalf("port %d after release: %v", p, err)
	}
	l.Close()
}

// TestTaintedPortsStayLocked: a port left with TIME_WAIT entries stays
// locked until the book closes, since another run's probe may not see them.
func TestTaintedPortsStayLocked(t *testing.T) {
	a := NewBook()
	p, err := a.Take(matrix.TCP)
	if err != nil {
		t.Fatal(err)
	}
	a.Release(p, true)
	if l, err := lockPort(matrix.TCP, p); err == nil {
		l.Close()
		t.Fatalf("tainted port %d was free for another run to lock", p)
	}
	if err := a.reserve(matrix.TCP, p); err == nil {
		t.Fatalf("the book booked its tainted port %d again", p)
	}
	a.Close()
	l, err := lockPort(matrix.TCP, p)
	if err != nil {
		t.Fatalf("port %d once the book closed: %v", p, err)
	}
	l.Close()
}
