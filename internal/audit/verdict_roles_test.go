package audit

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"strconv"
	"time"

	"github.com/bindmatrix/bindmatrix/internal/reexec"
	"github.com/bindmatrix/bindmatrix/internal/sock"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// The test servers of the verdict tests: each does what a real daemon was
// seen doing, and exits on SIGTERM's default action.

// groupServer listens with SO_REUSEPORT N times on one address (a worker
// per socket, as haproxy's nbthread and nginx's reuseport do) and accepts
// on each: args N ADDRESS [steer]. With steer a program sends every
// connection to its first socket.
var groupServer = reexec.Role{Name: "group-server", Main: func() int {
	n, err := strconv.Atoi(os.Args[1])
	if err != nil {
		return 2
	}
	at := netip.MustParseAddrPort(os.Args[2])
	for i := range n {
		s, outcome, _, err := sock.Attempt(sock.FamilyOf(at.Addr()), matrix.TCP, matrix.ReusePort, at)
		if err != nil || outcome != matrix.OK {
			os.Stderr.WriteString("group-server: " + string(outcome) + "\n")
			return 1
		}
		if i == 0 && len(os.Args) > 3 && os.Args[3] == "steer" {
			if err := steerTo(s, 0); err != nil {
				os.Stderr.WriteString("group-server: " + err.Error() + "\n")
				return 1
			}
		}
		go acceptForever(s)
	}
	select {}
}}

func acceptForever(s sock.Socket) {
	for {
		if _, err := s.Accept(); err != nil {
			return
		}
	}
}

// lateServer listens plainly on FIRST, then, once the file TRIGGER
// exists, opens a SO_REUSEPORT listener on SECOND and writes the file
// READY: a server whose second listener comes after the audit listed the
// first. args FIRST SECOND TRIGGER READY.
var lateServer = reexec.Role{Name: "late-server", Main: func() int {
	first, second := netip.MustParseAddrPort(os.Args[1]), netip.MustParseAddrPort(os.Args[2])
	if _, outcome, _, err := sock.Attempt(matrix.SockIPv4, matrix.TCP, matrix.None, first); err != nil || outcome != matrix.OK {
		return 1
	}
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(os.Args[3]); err == nil {
			if _, outcome, _, err := sock.Attempt(matrix.SockIPv4, matrix.TCP, matrix.ReusePort, second); err != nil || outcome != matrix.OK {
				return 1
			}
			os.WriteFile(os.Args[4], nil, 0o644)
			break
		}
	}
	select {}
}}

// udpClientServer listens on ADDRESS with OPTION, as testServer does, and
// also holds a UDP client socket on a port the kernel picks (squid's
// outgoing DNS socket): args OPTION ADDRESS.
var udpClientServer = reexec.Role{Name: "udp-client-server", Main: func() int {
	opt, err := matrix.ParseOption(os.Args[1])
	if err != nil {
		return 2
	}
	at := netip.MustParseAddrPort(os.Args[2])
	s, outcome, _, err := sock.Attempt(matrix.SockIPv4, matrix.TCP, opt, at)
	if err != nil || outcome != matrix.OK {
		os.Stderr.WriteString("udp-client-server: bind: " + string(outcome) + "\n")
		return 1
	}
	if _, outcome, _, err := sock.Attempt(matrix.SockIPv4, matrix.UDP, matrix.None, netip.MustParseAddrPort("127.0.0.1:0")); err != nil || outcome != matrix.OK {
		return 1
	}
	acceptForever(s)
	return 1
}}

// auditRole audits as the bindmatrix command would, in a process of its
// own (another user's, for the tests of a non-root audit): args port P |
// pid N. It prints the audit document, or "bad input: ..." and exits 2.
var auditRole = reexec.Role{Name: "audit", Main: func() int {
	n, err := strconv.Atoi(os.Args[2])
	if err != nil {
		return 2
	}
	req := Request{Proto: matrix.TCP}
	if os.Args[1] == "port" {
		req.Port = uint16(n)
	} else {
		req.PID = n
	}
	a, err := Run(context.Background(), req)
	switch {
	case errors.Is(err, ErrBadInput):
		os.Stdout.WriteString(err.Error() + "\n")
		return 2
	case err != nil:
		os.Stdout.WriteString(err.Error() + "\n")
		return 3
	}
	a.Encode(os.Stdout)
	return 0
}}
