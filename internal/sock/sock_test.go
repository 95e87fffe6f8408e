package sock_test

import (
	"errors"
	"os"
	"testing"

	"github.com/bindmatrix/bindmatrix/internal/sock"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// TestAttemptAnswers: a second bind on a held port is an outcome naming
// the call and the POSIX error; an option this OS lacks is unsupported,
// and no socket is made for it.
func TestAttemptAnswers(t *testing.T) {
	for _, proto := range matrix.Protos() {
		first, outcome, _, err := sock.Attempt(matrix.SockIPv4, proto, matrix.None, sock.Addr(matrix.SockIPv4, matrix.Specific, 0))
		if err != nil || outcome != matrix.OK {
			t.Fatalf("%s: first attempt: %s %v", proto, outcome, err)
		}
		defer first.Close()
		at, err := first.LocalAddr()
		if err != nil {
			t.Fatal(err)
		}
		second, outcome, native, err := sock.Attempt(matrix.SockIPv4, proto, matrix.None, at)
		second.Close()
		if err != nil || outcome != matrix.Failed("bind", "EADDRINUSE") || native == 0 {
			t.Errorf("%s: second attempt on %v: %s (%d) %v, want bind:EADDRINUSE with the OS's number", proto, at, outcome, native, err)
		}
	}
	for _, o := range matrix.Options() {
		if sock.OptionExists(o) {
			continue
		}
		s, outcome, _, err := sock.Attempt(matrix.SockIPv4, matrix.TCP, o, sock.Addr(matrix.SockIPv4, matrix.Specific, 0))
		if err != nil || outcome != matrix.Unsupported || s.Valid() {
			t.Errorf("%s: %s %v (socket made: %v), want unsupported and no socket", o, outcome, err, s.Valid())
		}
	}
}

// TestOutcomeKeepsTheCall: the outcome names the call that failed, the way
// os.NewSyscallError recorded it.
func TestOutcomeKeepsTheCall(t *testing.T) {
	s, err := sock.Open(matrix.SockIPv4, matrix.TCP)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Listen() // on an unbound TCP socket: fine on Linux (autobind); an error elsewhere
	if err != nil {
		if o, _ := sock.Outcome(err); o.Call() != "listen" {
			t.Errorf("listen failed as %s", o)
		}
	}
	if o, n := sock.Outcome(os.NewSyscallError("bind", errors.New("not an errno"))); o.Call() != "bind" || n != 0 {
		t.Errorf("an error without an errno: %s %d", o, n)
	}
}

// TestZeroSocketIsClosed: the zero Socket is what failed attempts return;
// closing it must be harmless.
func TestZeroSocketIsClosed(t *testing.T) {
	var s sock.Socket
	if s.Valid() || s.Close() != nil || s.Abort() != nil {
		t.Error("the zero Socket is not a harmless closed socket")
	}
}
