package audit

import (
	"testing"
	"time"

	"github.com/bindmatrix/bindmatrix/internal/inventory"
	"github.com/bindmatrix/bindmatrix/internal/sock"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// BenchmarkAuditOneSocket audits one listener of this process, as
// `bindmatrix audit` does once it has found it: a helper process started,
// every attempt made (12 on Linux), each successful one confirmed with
// test connections when deliver is on. The listener set SO_REUSEPORT, so
// some attempts succeed and the delivery checks run.
//
//	go test ./internal/audit -run '^$' -bench AuditOneSocket -benchtime 20x
func BenchmarkAuditOneSocket(b *testing.B) {
	for _, deliver := range []bool{false, true} {
		name := "bind-only"
		if deliver {
			name = "deliver"
		}
		b.Run(name, func(b *testing.B) {
			opt := matrix.None
			if sock.OptionExists(matrix.ReusePort) {
				opt = matrix.ReusePort
			}
			l, outcome, _, err := sock.Attempt(matrix.SockIPv4, matrix.TCP, opt, sock.Addr(matrix.SockIPv4, matrix.Specific, 0))
			if err != nil || outcome != matrix.OK {
				b.Fatalf("%s %v", outcome, err)
			}
			defer l.Close()
			// A server takes its connections as they come; so does this one.
			done := make(chan struct{})
			defer close(done)
			go func() {
				for {
					select {
					case <-done:
						return
					default:
						l.Drain()
						time.Sleep(100 * time.Microsecond)
					}
				}
			}()
			at, _ := l.LocalAddr()
			s := inventory.Socket{Proto: matrix.TCP, Local: at, Family: matrix.SockIPv4, UID: -1}
			for b.Loop() {
				a, err := Sockets([]inventory.Socket{s}, Options{Deliver: deliver})
				if err != nil {
					b.Fatal(err)
				}
				if a.Verdict == matrix.AuditIncomplete {
					b.Fatalf("incomplete: %+v", a.Sockets)
				}
			}
		})
	}
}
