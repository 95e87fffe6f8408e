package arrange

import (
	"context"
	"net/netip"
	"testing"

	"github.com/bindmatrix/bindmatrix/internal/sock"
	"github.com/bindmatrix/bindmatrix/internal/witness"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// BenchmarkArrangement measures one run of arrangements of each kind, to
// set against the bare syscalls they make.
func BenchmarkArrangement(b *testing.B) {
	w, err := witness.Open(witness.Best)
	if err != nil {
		b.Skipf("skipped: no witness here: %v", err)
	}
	defer w.Close()
	r := NewRunner(w)
	defer r.Close()
	for _, bc := range []struct{ name, text string }{
		{"bound", "tcp 127.0.0.1; tcp 127.0.0.1"},
		{"listening", "tcp 127.0.0.1 SO_REUSEPORT listening; tcp 127.0.0.1 SO_REUSEPORT listening"},
		{"time_wait", "tcp 127.0.0.1 SO_REUSEADDR time_wait; tcp 127.0.0.1 SO_REUSEADDR"},
		{"established", "tcp 127.0.0.1 established; tcp 127.0.0.1"},
		{"other", "tcp 127.0.0.1 SO_REUSEPORT listening other; tcp 127.0.0.1 SO_REUSEPORT"},
		{"crowd", "udp 127.0.0.1..127.0.0.16; udp 0.0.0.0"},
	} {
		a, err := matrix.ParseArrangement(bc.text)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				obs, err := r.Run(context.Background(), a)
				if err != nil || obs.Unreached != "" {
					b.Fatalf("%v %+v", err, obs)
				}
			}
		})
	}
}

// BenchmarkBareSyscalls is the floor BenchmarkArrangement/bound stands on:
// the same two sockets' socket, bind and close on a port the kernel
// picks, with no clean-port book, no proof and no look again.
func BenchmarkBareSyscalls(b *testing.B) {
	for b.Loop() {
		first, err := sock.Open(matrix.SockIPv4, matrix.TCP)
		if err != nil {
			b.Fatal(err)
		}
		if err := first.Bind(netip.MustParseAddrPort("127.0.0.1:0")); err != nil {
			b.Fatal(err)
		}
		local, _ := first.LocalAddr()
		second, _ := sock.Open(matrix.SockIPv4, matrix.TCP)
		if err := second.Bind(local); err == nil {
			b.Fatal("the second bind passed")
		}
		second.Close()
		first.Close()
	}
}
