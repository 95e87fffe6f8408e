package bindtest

import (
	"context"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestExclusiveFailsOnASharedPort: a Linux listener that set SO_REUSEPORT
// can be joined by any process of the same user (socket(7)), so Exclusive
// must fail, and say why and how to fix it.
func TestExclusiveFailsOnASharedPort(t *testing.T) {
	lc := net.ListenConfig{Control: func(network, address string, c syscall.RawConn) error {
		var err error
		c.Control(func(fd uintptr) { err = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1) })
		return err
	}}
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var rec recorder
	Exclusive(&rec, ln)
	for _, want := range []string{"HIJACKABLE", "SO_REUSEPORT as same: ok, received", "fix: drop SO_REUSEPORT"} {
		if !rec.failed || !strings.Contains(rec.msg, want) {
			t.Errorf("Exclusive on a SO_REUSEPORT listener: failed=%v, without %q in:\n%s", rec.failed, want, rec.msg)
		}
	}
}

// recorder is a testing.TB that records what Exclusive says.
type recorder struct {
	testing.TB
	failed bool
	msg    string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, a ...any) {
	r.failed = true
	r.msg += fmt.Sprintf(format, a...)
}
func (r *recorder) Fatalf(format string, a ...any) {
	r.failed = true
	r.msg += fmt.Sprintf(format, a...)
}
