package audit

import (
	"context"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/bindmatrix/bindmatrix/internal/ports"
	"github.com/bindmatrix/bindmatrix/internal/reexec"
	"github.com/bindmatrix/bindmatrix/internal/sock"
	"github.com/bindmatrix/bindmatrix/internal/socktable"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// osRoles are the test servers of this OS's tests.
var osRoles = []reexec.Role{mannerServer}

// mannerServer is a test server with the manners of a real one, named by
// its first argument: "greet" writes a banner on every connection it
// accepts, as sshd and SMTP servers do; "defer" sets TCP_DEFER_ACCEPT, as
// Apache's default AcceptFilter does, and reads the first data of each
// connection. It listens with SO_REUSEADDR on its second argument, or
// with SO_REUSEPORT where the manner ends in "+reuseport".
var mannerServer = reexec.Role{Name: "manner-server", Main: func() int {
	manner, at := os.Args[1], netip.MustParseAddrPort(os.Args[2])
	opt := matrix.ReuseAddr
	if m, ok := strings.CutSuffix(manner, "+reuseport"); ok {
		manner, opt = m, matrix.ReusePort
	}
	s, outcome, _, err := sock.Attempt(sock.FamilyOf(at.Addr()), matrix.TCP, opt, at)
	if err != nil || outcome != matrix.OK {
		os.Stderr.WriteString("manner-server: bind: " + string(outcome) + "\n")
		return 1
	}
	if manner == "defer" {
		if err := unix.SetsockoptInt(s.FD(), unix.IPPROTO_TCP, unix.TCP_DEFER_ACCEPT, 30); err != nil {
			return 1
		}
	}
	for {
		c, err := s.Accept()
		if err != nil {
			return 1
		}
		switch manner {
		case "greet":
			unix.Write(c.FD(), []byte("SSH-2.0-manner-server\r\n"))
		case "defer":
			unix.Read(c.FD(), make([]byte, 16))
		}
	}
}}

// mannerCommand is the command line of a manner server on at's address
// and a free port.
func mannerCommand(t *testing.T, manner string, addr netip.Addr) ([]string, netip.AddrPort) {
	t.Helper()
	port, err := ports.Probe(matrix.TCP, 0)
	if err != nil {
		t.Fatal(err)
	}
	self, err := reexec.Self()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(reexec.Env, mannerServer.Name)
	at := netip.AddrPortFrom(addr, port)
	return []string{self, manner, at.String()}, at
}

// TestRestartOfServersWithManners: a server on 127.0.0.2 got its restart
// connections aimed at 127.0.0.1 (refused: unreached); one that writes
// first was reset by clients that closed with its banner unread (no
// TIME_WAIT: unreached); one with TCP_DEFER_ACCEPT never accepted the
// silent connections (unreached). Each restarts, proven, now.
func TestRestartOfServersWithManners(t *testing.T) {
	for _, tc := range []struct {
		name, manner string
		addr         netip.Addr
	}{
		{"another loopback address", "plain", netip.MustParseAddr("127.0.0.2")},
		{"writes first", "greet", netip.MustParseAddr("127.0.0.1")},
		{"defers accept", "defer", netip.MustParseAddr("127.0.0.1")},
		{"defers accept on IPv6", "defer", netip.IPv6Loopback()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd, at := mannerCommand(t, tc.manner, tc.addr)
			a, err := runBounded(t, context.Background(), Request{Command: cmd, Wait: 10 * time.Second, Restart: true})
			if err != nil {
				t.Fatal(err)
			}
			r := a.Restart
			if r == nil || r.Verdict != matrix.RestartOK || r.TimeWait != restartConnections {
				t.Fatalf("restart %+v (audit note %q), want ok with %d TIME_WAIT entries", r, a.Note, restartConnections)
			}
			if !strings.Contains(r.Witness, at.String()+"<->") {
				t.Errorf("witness %q does not name the server's address %v", r.Witness, at)
			}
		})
	}
}

// lookupLog is a witness that never shows TIME_WAIT and records which
// connection each lookup asked about.
type lookupLog struct{ peers []netip.AddrPort }

func (l *lookupLog) Name() string { return "a log of lookups" }
func (l *lookupLog) Close() error { return nil }
func (l *lookupLog) Lookup(local, remote netip.AddrPort) (socktable.Entry, bool, error) {
	l.peers = append(l.peers, remote)
	return socktable.Entry{State: socktable.FinWait2}, true, nil
}

// TestTimeWaitsAreWaitedForTogether: the restart's TIME_WAIT entries were
// waited for one connection after the other, up to 2 s each (300
// connections took 20 minutes). Every connection is asked about before
// any is asked about again.
func TestTimeWaitsAreWaitedForTogether(t *testing.T) {
	var conns []restartConn
	for port := range uint16(3) {
		conns = append(conns, restartConn{server: netip.MustParseAddrPort("127.0.0.1:80"), peer: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), 50000+port)})
	}
	w := &lookupLog{}
	if proven := timeWaitsProven(w, conns); len(proven) != 0 {
		t.Fatalf("proven %v from a witness that shows no TIME_WAIT", proven)
	}
	if len(w.peers) < 2*len(conns) {
		t.Fatalf("%d lookups, want at least two rounds of %d", len(w.peers), len(conns))
	}
	for i, peer := range w.peers[:2*len(conns)] {
		if want := conns[i%len(conns)].peer; peer != want {
			t.Fatalf("lookup %d asked about %v, want %v: the connections are not waited for together (%v...)", i, peer, want, w.peers[:2*len(conns)])
		}
	}
}

// TestDeliveryToADeferringServerIsProven: beside a SO_REUSEPORT listener
// with TCP_DEFER_ACCEPT, the connections that reached the server stayed
// in SYN_RECV, so every delivery check waited out its patience and its
// count, never proven whole, was taken as proof all the same. Now each
// such connection gets a byte and every count is proven.
func TestDeliveryToADeferringServerIsProven(t *testing.T) {
	cmd, at := mannerCommand(t, "defer+reuseport", netip.MustParseAddr("127.0.0.1"))
	a, err := runBounded(t, context.Background(), Request{Command: cmd, Wait: 10 * time.Second, Options: Options{Deliver: true}})
	if err != nil {
		t.Fatal(err)
	}
	if a.Verdict != matrix.AuditHijackable || len(a.Sockets) != 1 {
		t.Fatalf("verdict %s, sockets %+v, want the server's socket, hijackable", a.Verdict, a.Sockets)
	}
	delivered := 0
	for _, att := range a.Sockets[0].Attempts {
		if att.Outcome != matrix.OK {
			continue
		}
		if att.Delivery == nil {
			t.Errorf("%v %s %s: no delivery proven: %s", att.Address, att.Family, att.Option, att.Note)
			continue
		}
		delivered++
		if att.Address == at && att.Option == matrix.ReusePort && att.Delivery.Second == 0 {
			t.Errorf("SO_REUSEPORT on %v received none of %d", at, att.Delivery.Sent)
		}
	}
	if delivered == 0 {
		t.Errorf("no attempt was delivered to: %+v", a.Sockets[0].Attempts)
	}
}
