package ports

import (
	"testing"

	"github.com/bindmatrix/bindmatrix/internal/sock"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// TestEphemeralCoversWhatTheKernelPicks: a port the kernel hands out for
// bind(0) is ephemeral, and port 53 never is. Linux only: under Wine the
// Windows build's range is Windows' and the port the host's.
func TestEphemeralCoversWhatTheKernelPicks(t *testing.T) {
	s, outcome, _, err := sock.Attempt(matrix.SockIPv4, matrix.UDP, matrix.None, sock.Addr(matrix.SockIPv4, matrix.Specific, 0))
	if err != nil || outcome != matrix.OK {
		t.Fatalf("bind(0): %s %v", outcome, err)
	}
	defer s.Close()
	at, err := s.LocalAddr()
	if err != nil {
		t.Fatal(err)
	}
	if !Ephemeral(at.Port()) || Ephemeral(53) {
		t.Errorf("Ephemeral(%d) = %v, Ephemeral(53) = %v; want true, false", at.Port(), Ephemeral(at.Port()), Ephemeral(53))
	}
}
