// Package bindtest lets a Go server's own tests assert that its listener is
// exclusive on every OS their CI runs on: that no other process of the same
// user can take its port, or any of its connections or datagrams.
//
//	func TestListenerIsExclusive(t *testing.T) {
//		ln, err := net.Listen("tcp", ":0")
//		if err != nil {
//			t.Fatal(err)
//		}
//		defer ln.Close()
//		bindtest.Exclusive(t, ln)
//	}
//
// The attempts are made from another process, as a real takeover would be:
// the test binary itself, started again. Importing bindtest makes every
// test binary able to play that helper (an init function checks for it
// before the tests run); nothing else changes.
//
// The audit binds only the listener's port, sends test connections only to
// its loopback address, and closes everything it opened.
package bindtest

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/user"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/bindmatrix/bindmatrix/internal/audit"
	"github.com/bindmatrix/bindmatrix/internal/child"
	"github.com/bindmatrix/bindmatrix/internal/inventory"
	"github.com/bindmatrix/bindmatrix/internal/reexec"
	"github.com/bindmatrix/bindmatrix/internal/sock"
	"github.com/bindmatrix/bindmatrix/matrix"
	"github.com/bindmatrix/bindmatrix/report"
)

// init plays the helper when this test binary was started as one; it
// returns at once otherwise.
func init() { reexec.Main(child.Role) }

// Exclusive fails t with the audit's report when another process could
// take some of ln's traffic, or when the audit could not make an attempt.
func Exclusive(t testing.TB, ln net.Listener) {
	t.Helper()
	a, err := Audit(ln)
	check(t, a, err)
}

// ExclusivePacket is Exclusive for a UDP socket.
func ExclusivePacket(t testing.TB, pc net.PacketConn) {
	t.Helper()
	a, err := AuditPacket(pc)
	check(t, a, err)
}

func check(t testing.TB, a *matrix.Audit, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("bindtest: %v", err)
	}
	if a.Verdict == matrix.AuditExclusive {
		return
	}
	var b strings.Builder
	r, _ := report.New("text")
	r.Audit(&b, a)
	t.Errorf("bindtest: the socket is not exclusive on %s:\n%s", a.Platform.Name, b.String())
}

// Audit audits ln's socket: every bind another process could make on its
// port, with every option this OS has, each confirmed with test
// connections to ln's loopback address when it succeeds.
func Audit(ln net.Listener) (*matrix.Audit, error) {
	addr, ok := ln.Addr().(*net.TCPAddr)
	if !ok {
		return nil, fmt.Errorf("%T is not a TCP listener", ln.Addr())
	}
	return auditSocket(matrix.TCP, addr.AddrPort(), ln)
}

// AuditPacket is Audit for a UDP socket, confirmed with datagrams.
func AuditPacket(pc net.PacketConn) (*matrix.Audit, error) {
	addr, ok := pc.LocalAddr().(*net.UDPAddr)
	if !ok {
		return nil, fmt.Errorf("%T is not a UDP socket", pc.LocalAddr())
	}
	return auditSocket(matrix.UDP, addr.AddrPort(), pc)
}

func auditSocket(proto matrix.Proto, at netip.AddrPort, conn any) (*matrix.Audit, error) {
	fam := matrix.SockIPv4
	if at.Addr().Is6() && !at.Addr().Is4In6() {
		v6only, err := v6Only(conn)
		if err != nil {
			return nil, err
		}
		fam = matrix.SockDualStack
		if v6only {
			fam = matrix.SockIPv6
		}
	}
	if at.Addr().Is4In6() {
		at = netip.AddrPortFrom(at.Addr().Unmap(), at.Port())
	}
	// The socket is this process's: saying so keeps the helpers' own
	// sockets on the port from being taken for it, and it for another
	// program's.
	s := inventory.Socket{Proto: proto, Local: at, Family: fam, PIDs: []int{os.Getpid()}, UID: os.Geteuid(), Command: "this test"}
	if u, err := user.LookupId(strconv.Itoa(s.UID)); err == nil && s.UID >= 0 { // Windows has no uid: -1
		s.User = u.Username
	}
	a, err := audit.Sockets([]inventory.Socket{s}, audit.Options{Deliver: true})
	if err == nil {
		kind := map[matrix.Proto]string{matrix.TCP: "TCP listener", matrix.UDP: "UDP socket"}[proto]
		a.Target.Socket = fmt.Sprintf("this test's %s on %s", kind, at)
	}
	return a, err
}

// v6Only asks the socket itself whether it is IPv6-only: Go's net package
// makes "[::]:0" listeners dual-stack, but a caller may not have.
func v6Only(conn any) (bool, error) {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return false, fmt.Errorf("%T gives no access to its socket", conn)
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false, err
	}
	var v6only bool
	var optErr error
	if err := raw.Control(func(fd uintptr) { v6only, optErr = sock.V6Only(fd) }); err != nil {
		return false, err
	}
	return v6only, optErr
}
