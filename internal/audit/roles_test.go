package audit

import (
	"net/netip"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/bindmatrix/bindmatrix/internal/reexec"
	"github.com/bindmatrix/bindmatrix/internal/sock"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// udpServer binds the UDP address its argument names and holds it until
// it is stopped: a server with no TCP listener, like a resolver.
var udpServer = reexec.Role{Name: "udp-server", Main: func() int {
	at := netip.MustParseAddrPort(os.Args[1])
	if _, outcome, _, err := sock.Attempt(sock.FamilyOf(at.Addr()), matrix.UDP, matrix.None, at); err != nil || outcome != matrix.OK {
		return 1
	}
	for {
		time.Sleep(time.Hour)
	}
}}

// resettingServer listens on the address its argument names, accepts and
// holds connections, and on SIGTERM resets every one of them before it
// exits, as named and coturn do.
var resettingServer = reexec.Role{Name: "resetting-server", Main: func() int {
	at := netip.MustParseAddrPort(os.Args[1])
	ln, outcome, _, err := sock.Attempt(sock.FamilyOf(at.Addr()), matrix.TCP, matrix.ReuseAddr, at)
	if err != nil || outcome != matrix.OK {
		return 1
	}
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	var mu sync.Mutex
	var conns []sock.Socket
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	<-term
	mu.Lock()
	for _, c := range conns {
		c.Abort()
	}
	return 0
}}
