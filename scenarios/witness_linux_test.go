package scenarios

import (
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/bindmatrix/bindmatrix/matrix"
)

func mustWitness(t *testing.T) *witness {
	t.Helper()
	w, err := newWitness()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.close)
	return w
}

// TestWitnessSeesWhatTheKernelHas checks the sock_diag lookup against
// sockets whose state we know, and against one that does not exist: a
// witness that always said yes would fail here.
func TestWitnessSeesWhatTheKernelHas(t *testing.T) {
	w := mustWitness(t)
	for _, fam := range []family{familyIPv4, familyIPv6} {
		book := newPortBook()
		port, err := book.take(matrix.TCP)
		if err != nil {
			t.Fatal(err)
		}
		loop := address(fam, matrix.Specific, port)
		if _, found, err := w.tcpState(loop, netip.AddrPort{}); err != nil || found {
			t.Fatalf("%v: listener lookup on an unused port: found=%v err=%v", loop, found, err)
		}
		l, err := openSocket(fam, matrix.TCP)
		if err != nil {
			t.Fatal(err)
		}
		defer l.close()
		if err := l.bind(loop); err != nil {
			t.Fatal(err)
		}
		if err := l.listen(); err != nil {
			t.Fatal(err)
		}
		if st, found, err := w.tcpState(loop, netip.AddrPort{}); err != nil || !found || st != tcpListen {
			t.Fatalf("%v: listener lookup: state=%v found=%v err=%v", loop, st, found, err)
		}
		f := &firstSocket{cell: matrix.NewCell(matrix.TCP, matrix.IPv4, matrix.Listening, matrix.Specific, matrix.Specific, matrix.None, matrix.None), witness: w}
		server, client, err := f.connect(l, fam, loop)
		if err != nil {
			t.Fatal(err)
		}
		sa, _ := server.localAddr()
		ca, _ := client.localAddr()
		if st, found, err := w.tcpState(sa, ca); err != nil || !found || st != tcpEstablished {
			t.Fatalf("%v<->%v: state=%v found=%v err=%v", sa, ca, st, found, err)
		}
		// A tuple with the wrong peer port is nobody, although the kernel
		// answers such a question with the listener on the local port.
		wrong := netip.AddrPortFrom(ca.Addr(), ca.Port()+1)
		if _, found, _ := w.tcpState(sa, wrong); found {
			t.Fatalf("%v<->%v: found a connection that does not exist", sa, wrong)
		}
		f.closeConn(server)
		f.closeConn(client)
		if err := f.proveTimeWait(sa, ca); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(f.evidence, "TIME_WAIT") {
			t.Errorf("time_wait evidence %q does not name the state", f.evidence)
		}
		// The TIME_WAIT entry holds the port against a plain bind, so the
		// port book will not hand it to a later cell.
		if _, err := probeFreePort(matrix.TCP, sa.Port()); err == nil {
			t.Errorf("port %d probed free while a TIME_WAIT entry holds it", sa.Port())
		}
		if err := w.forget(sa, ca); err != nil {
			t.Errorf("removing the TIME_WAIT entry: %v", err)
		}
		if _, found, _ := w.tcpState(sa, ca); found {
			t.Errorf("the TIME_WAIT entry %v<->%v survived SOCK_DESTROY", sa, ca)
		}
		book.release(port, false)
	}
}

// TestTimeWaitWithoutWitnessIsUnreached: when the kernel's table cannot be
// read the cell says so; it never assumes the state was reached.
func TestTimeWaitWithoutWitnessIsUnreached(t *testing.T) {
	for _, st := range []matrix.State{matrix.TimeWait, matrix.Established} {
		c := matrix.NewCell(matrix.TCP, matrix.IPv4, st, matrix.Specific, matrix.Specific, matrix.None, matrix.None)
		r := runCell(c, nil, newPortBook())
		if r.Outcome != matrix.Unreached || !strings.Contains(r.Note, errNoWitness.Error()) {
			t.Errorf("%s with no witness: outcome %s note %q, want unreached naming the missing witness", c, r.Outcome, r.Note)
		}
	}
}

// TestRunLeaksNoDescriptors: a leaked socket would hold a port and change a
// later cell's answer.
func TestRunLeaksNoDescriptors(t *testing.T) {
	count := func() int {
		entries, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Fatal(err)
		}
		return len(entries)
	}
	Run(matrix.AllCells()[:32], Options{Parallel: 1}) // warm up lazily opened descriptors
	before := count()
	Run(matrix.AllCells(), Options{})
	if after := count(); after != before {
		t.Errorf("open descriptors: %d before the run, %d after", before, after)
	}
}

// TestProcFallbackAgreesWithSockDiag: the /proc reader used on kernels
// without sock_diag must find the same sockets, in the same states.
func TestProcFallbackAgreesWithSockDiag(t *testing.T) {
	w := mustWitness(t)
	if w.name() != "sock_diag" {
		t.Fatalf("this kernel's witness is %s; sock_diag was expected on the host", w.name())
	}
	for _, fam := range []family{familyIPv4, familyIPv6} {
		l, err := openSocket(fam, matrix.TCP)
		if err != nil {
			t.Fatal(err)
		}
		defer l.close()
		if err := l.bind(address(fam, matrix.Wildcard, 0)); err != nil {
			t.Fatal(err)
		}
		l.listen()
		la, _ := l.localAddr()
		loop := address(fam, matrix.Specific, la.Port())
		f := &firstSocket{cell: matrix.NewCell(matrix.TCP, matrix.IPv4, matrix.Listening, matrix.Specific, matrix.Specific, matrix.None, matrix.None), witness: w}
		server, client, err := f.connect(l, fam, loop)
		if err != nil {
			t.Fatal(err)
		}
		defer f.tearDown(newPortBook())
		sa, _ := server.localAddr()
		ca, _ := client.localAddr()
		for _, q := range []struct{ local, remote netip.AddrPort }{
			{loop, netip.AddrPort{}}, {sa, ca}, {ca, sa}, {sa, netip.AddrPortFrom(ca.Addr(), ca.Port()+1)},
		} {
			ds, dfound, derr := w.tcpState(q.local, q.remote)
			ps, pfound, perr := procTCPState(q.local, q.remote)
			if derr != nil || perr != nil || ds != ps || dfound != pfound {
				t.Errorf("%v<->%v: sock_diag says %v/%v/%v, /proc says %v/%v/%v", q.local, q.remote, ds, dfound, derr, ps, pfound, perr)
			}
		}
	}
}

func TestFindProcTCPRejectsGarbage(t *testing.T) {
	text := "  sl  local_address rem_address   st\n   0: 0100007F:1F90 zz:0000 0A\n"
	if _, _, err := findProcTCP([]byte(text), netip.MustParseAddrPort("127.0.0.1:8080"), netip.AddrPort{}); err == nil {
		t.Error("a malformed line was accepted")
	}
	text = "  sl  local_address rem_address   st\n   0: 0100007F:1F90 00000000:0000 0A\n"
	st, found, err := findProcTCP([]byte(text), netip.MustParseAddrPort("127.0.0.1:8080"), netip.AddrPort{})
	if err != nil || !found || st != tcpListen {
		t.Errorf("listener on 127.0.0.1:8080: %v %v %v", st, found, err)
	}
}

// TestOneProbeSeesEverySocket: the Linux port probe is a single dual-stack
// wildcard bind, which must conflict with a socket of any family and address.
func TestOneProbeSeesEverySocket(t *testing.T) {
	for _, fam := range []family{familyIPv4, familyIPv6, familyDualStack} {
		for _, a := range []matrix.Addr{matrix.Specific, matrix.Wildcard} {
			for _, proto := range matrix.Protos() {
				s, err := openSocket(fam, proto)
				if err != nil {
					t.Fatal(err)
				}
				if err := s.bind(address(fam, a, 0)); err != nil {
					t.Fatal(err)
				}
				got, _ := s.localAddr()
				if _, err := probeFreePort(proto, got.Port()); err == nil {
					t.Errorf("%s socket of family %d on %v: the probe found its port free", proto, fam, got)
				}
				s.close()
			}
		}
	}
}
