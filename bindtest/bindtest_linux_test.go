package bindtest

import (
	"context"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bindmatrix/bindmatrix/matrix"
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
	for _, never := range []string{"another program", "audit of ``"} {
		if strings.Contains(rec.msg, never) {
			t.Errorf("Exclusive's report says %q:\n%s", never, rec.msg)
		}
	}
}

// TestTheTestsOwnListenerGetsTheDeliveryCheck: the test's own listener is
// the socket under audit, never "another program's socket"; the SO_REUSEPORT
// bind of its very address joins its group, so the delivery check must run
// and count a share (it was skipped, 4 runs of 4, when the helper's socket
// was listed before the test's and taken for it).
func TestTheTestsOwnListenerGetsTheDeliveryCheck(t *testing.T) {
	lc := net.ListenConfig{Control: func(network, address string, c syscall.RawConn) error {
		var err error
		c.Control(func(fd uintptr) { err = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1) })
		return err
	}}
	for range 4 {
		ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		a, err := Audit(ln)
		ln.Close()
		if err != nil {
			t.Fatal(err)
		}
		same := ln.Addr().(*net.TCPAddr).AddrPort()
		for _, at := range a.Sockets[0].Attempts {
			if strings.Contains(at.Note, "another program") {
				t.Errorf("%s %s: %s", at.Address, at.Option, at.Note)
			}
			if at.User == "same" && at.Address == same && at.Option == matrix.ReusePort && (at.Delivery == nil || at.Delivery.Second == 0) {
				t.Errorf("%s %s: no share counted (%+v): %s", at.Address, at.Option, at.Delivery, at.Note)
			}
		}
		if got := a.Target.Socket; !strings.Contains(got, same.String()) {
			t.Errorf("target names %q, want this test's listener %s", got, same)
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
