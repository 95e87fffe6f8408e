package witness_test

import (
	"net/netip"
	"os"
	"testing"

	"github.com/bindmatrix/bindmatrix/internal/sock"
	"github.com/bindmatrix/bindmatrix/internal/socktable"
	"github.com/bindmatrix/bindmatrix/internal/testenv"
	"github.com/bindmatrix/bindmatrix/internal/walk"
	"github.com/bindmatrix/bindmatrix/internal/witness"
	"github.com/bindmatrix/bindmatrix/matrix"
)

func openSockDiag(t *testing.T) *witness.SockDiag {
	t.Helper()
	w, err := witness.OpenSockDiag()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// connected makes a listener on the loopback address of fam and one
// accepted connection to it; everything is reset when the test ends.
func connected(t *testing.T, fam matrix.SocketFamily) (listener, server, client sock.Socket) {
	t.Helper()
	var err error
	if listener, err = sock.Open(fam, matrix.TCP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { listener.Close() })
	if err := listener.Bind(sock.Addr(fam, matrix.Specific, 0)); err != nil {
		t.Fatal(err)
	}
	if err := listener.Listen(); err != nil {
		t.Fatal(err)
	}
	at, _ := listener.LocalAddr()
	if client, err = sock.Open(fam, matrix.TCP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Abort() })
	if err := client.Connect(at); err != nil {
		t.Fatal(err)
	}
	if server, err = listener.Accept(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Abort() })
	return listener, server, client
}

// TestSockDiagSeesWhatTheKernelHas checks lookups against sockets whose
// state is known, and against ones that do not exist: a witness that always
// said yes would fail here.
func TestSockDiagSeesWhatTheKernelHas(t *testing.T) {
	w := openSockDiag(t)
	for _, fam := range []matrix.SocketFamily{matrix.SockIPv4, matrix.SockIPv6, matrix.SockDualStack} {
		t.Run(fam.String(), func(t *testing.T) {
			listener, server, client := connected(t, fam)
			at, _ := listener.LocalAddr()
			if e, found, err := w.Lookup(at, netip.AddrPort{}); err != nil || !found || e.State != socktable.Listen {
				t.Errorf("listener %v: %+v found=%v err=%v", at, e, found, err)
			}
			sa, _ := server.LocalAddr()
			ca, _ := client.LocalAddr()
			e, found, err := w.Lookup(sa, ca)
			if err != nil || !found || e.State != socktable.Established || e.Cookie == 0 {
				t.Errorf("%v<->%v: %+v found=%v err=%v", sa, ca, e, found, err)
			}
			if e.UID != os.Getuid() || e.Inode == 0 {
				t.Errorf("%v<->%v: owner uid %d inode %d, want uid %d and an inode", sa, ca, e.UID, e.Inode, os.Getuid())
			}
			// A tuple with the wrong peer port is nobody, although the
			// kernel answers such a question with the listener.
			wrong := netip.AddrPortFrom(ca.Addr(), ca.Port()+1)
			if _, found, _ := w.Lookup(sa, wrong); found {
				t.Errorf("%v<->%v: found a connection that does not exist", sa, wrong)
			}
			listener.Close()
			if _, found, _ := w.Lookup(at, netip.AddrPort{}); found {
				t.Errorf("%v: found a listener after its close", at)
			}
		})
	}
}

// TestDestroyTouchesOnlyTheNamedSocket: SOCK_DESTROY removes a TIME_WAIT
// entry only when given its cookie; a wrong cookie, or an entry that is not
// in TIME_WAIT, is refused and the socket survives.
func TestDestroyTouchesOnlyTheNamedSocket(t *testing.T) {
	testenv.Need(t, os.Geteuid() == 0, "root (SOCK_DESTROY needs CAP_NET_ADMIN)", "run the tests as root")
	w := openSockDiag(t)
	_, server, client := connected(t, matrix.SockIPv4)
	sa, _ := server.LocalAddr()
	ca, _ := client.LocalAddr()
	established, _, _ := w.Lookup(sa, ca)
	if err := w.DestroyOwnTimeWait(established); err == nil {
		t.Fatal("an ESTABLISHED connection was destroyed as if in TIME_WAIT")
	}
	if _, found, _ := w.Lookup(sa, ca); !found {
		t.Fatal("the ESTABLISHED connection is gone")
	}

	h, err := walk.Walk(walk.Spec{Proto: matrix.TCP, Family: matrix.SockIPv4, Addr: matrix.Specific, State: matrix.TimeWait}, freePort(t), w)
	if err != nil {
		t.Fatal(err)
	}
	tw := h.Connection
	wrong := tw
	wrong.Cookie++
	if err := w.DestroyOwnTimeWait(wrong); err == nil {
		t.Error("a TIME_WAIT entry was destroyed with somebody else's cookie")
	}
	if e, found, _ := w.Lookup(tw.Local, tw.Remote); !found || e.State != socktable.TimeWait {
		t.Fatalf("the TIME_WAIT entry %v<->%v did not survive a wrong cookie", tw.Local, tw.Remote)
	}
	if tainted := h.Release(); tainted {
		t.Error("Release could not destroy its own TIME_WAIT entry")
	}
	if _, found, _ := w.Lookup(tw.Local, tw.Remote); found {
		t.Errorf("the TIME_WAIT entry %v<->%v survived SOCK_DESTROY", tw.Local, tw.Remote)
	}
}

// TestProcAgreesWithSockDiag: the /proc reader used on kernels without
// sock_diag must find the same sockets, in the same states.
func TestProcAgreesWithSockDiag(t *testing.T) {
	w := openSockDiag(t)
	proc, err := witness.Open(witness.Proc)
	if err != nil {
		t.Fatal(err)
	}
	for _, fam := range []matrix.SocketFamily{matrix.SockIPv4, matrix.SockIPv6} {
		listener, server, client := connected(t, fam)
		at, _ := listener.LocalAddr()
		sa, _ := server.LocalAddr()
		ca, _ := client.LocalAddr()
		for _, q := range []struct{ local, remote netip.AddrPort }{
			{at, netip.AddrPort{}}, {sa, ca}, {ca, sa}, {sa, netip.AddrPortFrom(ca.Addr(), ca.Port()+1)},
		} {
			d, dfound, derr := w.Lookup(q.local, q.remote)
			p, pfound, perr := proc.Lookup(q.local, q.remote)
			if derr != nil || perr != nil || d.State != p.State || dfound != pfound || dfound && d.Inode != p.Inode {
				t.Errorf("%v<->%v: sock_diag says %v/%v/%v, /proc says %v/%v/%v", q.local, q.remote, d.State, dfound, derr, p.State, pfound, perr)
			}
		}
	}
}

// TestDumpListsEverySocketOnAPort: a dump by port finds a listener and its
// connections, and nothing of other ports.
func TestDumpListsEverySocketOnAPort(t *testing.T) {
	w := openSockDiag(t)
	listener, _, _ := connected(t, matrix.SockIPv4)
	_, _, _ = connected(t, matrix.SockIPv4) // another port, which must not show
	at, _ := listener.LocalAddr()
	entries, err := w.Dump("tcp", at.Port(), witness.AllStates)
	if err != nil {
		t.Fatal(err)
	}
	states := map[socktable.TCPState]int{}
	for _, e := range entries {
		if e.Local.Port() != at.Port() {
			t.Errorf("the dump of port %d holds %+v", at.Port(), e)
		}
		states[e.State]++
	}
	if states[socktable.Listen] != 1 || states[socktable.Established] != 1 {
		t.Errorf("port %d: states %v, want one listener and one connection", at.Port(), states)
	}
}

func freePort(t *testing.T) uint16 {
	t.Helper()
	s, err := sock.Open(matrix.SockDualStack, matrix.TCP)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Bind(sock.Addr(matrix.SockDualStack, matrix.Wildcard, 0)); err != nil {
		t.Fatal(err)
	}
	at, _ := s.LocalAddr()
	return at.Port()
}
