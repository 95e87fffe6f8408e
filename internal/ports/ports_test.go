package ports

import (
	"testing"

	"github.com/bindmatrix/bindmatrix/internal/sock"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// TestProbeSeesEverySocket: the probe must conflict with a socket of any
// family and address on the port (on Linux it is a single dual-stack
// wildcard bind, which must reach them all).
func TestProbeSeesEverySocket(t *testing.T) {
	for _, fam := range []matrix.SocketFamily{matrix.SockIPv4, matrix.SockIPv6, matrix.SockDualStack} {
		for _, kind := range matrix.AddrKindsOf(fam) {
			for _, proto := range matrix.Protos() {
				s, err := sock.Open(fam, proto)
				if err != nil {
					t.Fatal(err)
				}
				if err := s.Bind(sock.Addr(fam, kind, 0)); err != nil {
					t.Fatal(err)
				}
				got, _ := s.LocalAddr()
				if _, err := Probe(proto, got.Port()); err == nil {
					t.Errorf("%s %s socket on %v: the probe found its port free", proto, fam, got)
				}
				s.Close()
			}
		}
	}
}

// TestBookNeverHandsOutAPortTwice: until Release, a port is nobody else's,
// and a tainted port is never handed out again.
func TestBookNeverHandsOutAPortTwice(t *testing.T) {
	b := NewBook()
	seen := map[uint16]bool{}
	for range 50 {
		p, err := b.Take(matrix.TCP)
		if err != nil {
			t.Fatal(err)
		}
		if seen[p] {
			t.Fatalf("port %d handed out twice", p)
		}
		seen[p] = true
	}
	for p := range seen {
		b.Release(p, true)
	}
	for range 50 {
		p, err := b.Take(matrix.TCP)
		if err != nil {
			t.Fatal(err)
		}
		if seen[p] {
			t.Fatalf("tainted port %d handed out again", p)
		}
		b.Release(p, false)
	}
}

// TestTakeAvoidsTheEphemeralRange: a cell's port is never one the kernel
// could hand to a connect() or bind(0) of anybody.
func TestTakeAvoidsTheEphemeralRange(t *testing.T) {
	lo, hi := ephemeralRange()
	b := NewBook()
	for range 200 {
		p, err := b.Take(matrix.TCP)
		if err != nil {
			t.Fatal(err)
		}
		if p >= lo && p <= hi {
			t.Fatalf("port %d is in the ephemeral range %d-%d", p, lo, hi)
		}
		b.Release(p, false)
	}
}
