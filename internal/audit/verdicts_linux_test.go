package audit

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/bindmatrix/bindmatrix/internal/child"
	"github.com/bindmatrix/bindmatrix/internal/inventory"
	"github.com/bindmatrix/bindmatrix/internal/ports"
	"github.com/bindmatrix/bindmatrix/internal/reexec"
	"github.com/bindmatrix/bindmatrix/internal/sock"
	"github.com/bindmatrix/bindmatrix/internal/testenv"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// The verdict tests of issue 21: each makes, on purpose and without
// timing, what a real server was seen doing to the audit.

// roleCommand is the command line of a test server in role, which reaches
// it through the environment (helpers do not inherit it).
func roleCommand(t *testing.T, role reexec.Role, args ...string) []string {
	t.Helper()
	self, err := reexec.Self()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(reexec.Env, role.Name)
	return append([]string{self}, args...)
}

// hook sets one of the audit's test hooks for the test's duration.
func hook[T any](t *testing.T, h *T, f T) {
	var zero T
	*h = f
	t.Cleanup(func() { *h = zero })
}

// listed is this machine's listing of the socket on at.
func listed(t *testing.T, proto matrix.Proto, at netip.AddrPort) inventory.Socket {
	t.Helper()
	socks, err := inventory.List(inventory.Filter{Protos: []matrix.Proto{proto}, Port: at.Port()})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(socks, func(s inventory.Socket) bool { return s.Local == at })
	if i < 0 {
		t.Fatalf("%s %v is not listed: %+v", proto, at, socks)
	}
	return socks[i]
}

// open is a socket of this test, bound (and, for TCP, listening); the
// caller closes it.
func open(t *testing.T, proto matrix.Proto, opt matrix.Option, at netip.AddrPort) (sock.Socket, netip.AddrPort) {
	t.Helper()
	s, outcome, _, err := sock.Attempt(matrix.SockIPv4, proto, opt, at)
	if err != nil || outcome != matrix.OK {
		t.Fatalf("%s %s on %v: %s %v", proto, opt, at, outcome, err)
	}
	local, err := s.LocalAddr()
	if err != nil {
		t.Fatal(err)
	}
	return s, local
}

var anyLoopback = netip.MustParseAddrPort("127.0.0.1:0")

// TestASocketThatClosesIsNotAudited (item 1): a socket that closes between
// the listing and the attempts leaves its port free, every attempt then
// binds, and the socket came out hijackable (a resolver's upstream-query
// socket, 3 runs of 12). Its inode is gone when the port is listed again:
// it is "vanished", not audited, and the audit of nothing else is
// incomplete.
func TestASocketThatClosesIsNotAudited(t *testing.T) {
	for _, proto := range []matrix.Proto{matrix.TCP, matrix.UDP} {
		t.Run(proto.String(), func(t *testing.T) {
			s, at := open(t, proto, matrix.None, anyLoopback)
			target := listed(t, proto, at)
			hook(t, &afterListing, func([]inventory.Socket) { s.Close() })
			a, err := Sockets([]inventory.Socket{target}, Options{Deliver: true})
			if err != nil {
				t.Fatal(err)
			}
			got := a.Sockets[0]
			if got.Verdict != matrix.SocketVanished || !strings.Contains(got.Note, "closed during the attempts") || a.Verdict != matrix.AuditIncomplete {
				t.Errorf("a socket closed before its attempts: %s (%q), audit %s; want vanished, saying so, and incomplete", got.Verdict, got.Note, a.Verdict)
			}
		})
	}
}

// TestAuditsOfOnePortTakeTurns (item 2): the port's lock is held while its
// sockets are attacked, so a second audit of the port waits for the first
// instead of taking its newcomers for strangers' sockets.
func TestAuditsOfOnePortTakeTurns(t *testing.T) {
	s, at := open(t, matrix.TCP, matrix.None, anyLoopback)
	defer s.Close()
	var held error
	hook(t, &afterListing, func([]inventory.Socket) {
		lock, err := ports.Lock(context.Background(), matrix.TCP, at.Port(), 0)
		if err == nil {
			lock.Close()
			held = errors.New("the port's lock was free during the attempts")
		}
	})
	if _, err := Sockets([]inventory.Socket{listed(t, matrix.TCP, at)}, Options{}); err != nil {
		t.Fatal(err)
	}
	if held != nil {
		t.Error(held)
	}
}

// TestHoldersChangingDuringDeliveryMakeItUnreached (item 2): a program that
// binds the port with SO_REUSEADDR between the listing and the traffic
// takes every datagram (the newest UDP socket receives), and the newcomer's
// "none" made a hijackable socket exclusive (3 of 45). The port is listed
// again after each round of the traffic: the sending stops, and the
// attempt is unreached, never a count.
func TestHoldersChangingDuringDeliveryMakeItUnreached(t *testing.T) {
	s, at := open(t, matrix.UDP, matrix.ReuseAddr, anyLoopback)
	defer s.Close()
	var stranger sock.Socket
	hook(t, &beforeTraffic, func(inventory.Socket) {
		if !stranger.Valid() {
			stranger, _ = open(t, matrix.UDP, matrix.ReuseAddr, at)
		}
	})
	defer func() { stranger.Close() }()
	a, err := Sockets([]inventory.Socket{listed(t, matrix.UDP, at)}, Options{Deliver: true})
	if err != nil {
		t.Fatal(err)
	}
	if !stranger.Valid() {
		t.Fatal("no attempt sent traffic")
	}
	i := slices.IndexFunc(a.Sockets[0].Attempts, func(at matrix.Attempt) bool { return strings.Contains(at.Note, "holders changed") })
	if i < 0 {
		t.Fatalf("no attempt says the port's holders changed: %+v", a.Sockets[0].Attempts)
	}
	if got := a.Sockets[0].Attempts[i]; got.Outcome != matrix.Unreached || got.Delivery != nil {
		t.Errorf("the attempt during which a socket appeared: %s %+v, want unreached without counts", got.Outcome, got.Delivery)
	}
	// The port is listed between rounds too: the stranger gets one round
	// at most (it got all 64 before).
	if n, err := stranger.Drain(); err != nil || n > DefaultDeliverCount {
		t.Errorf("the stranger's socket received %d test datagrams (%v), want at most one round, %d", n, err, DefaultDeliverCount)
	}
}

// TestAListenerOpenedLaterIsAudited (item 3): a server's second listener,
// a SO_REUSEPORT one opened after the audit listed the first, was never
// audited (exit 0, exclusive). The server's sockets are listed again after
// the attempts, and the new one is audited too.
func TestAListenerOpenedLaterIsAudited(t *testing.T) {
	dir := testenv.TempDir(t)
	trigger, ready := filepath.Join(dir, "trigger"), filepath.Join(dir, "ready")
	first := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), freePort(t))
	second := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), freePort(t))
	cmd := roleCommand(t, lateServer, first.String(), second.String(), trigger, ready)
	var once sync.Once
	hook(t, &afterListing, func([]inventory.Socket) {
		once.Do(func() {
			os.WriteFile(trigger, nil, 0o644)
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
				if _, err := os.Stat(ready); err == nil {
					return
				}
			}
		})
	})
	a, err := Run(context.Background(), Request{Command: cmd, Wait: 10 * time.Second, Options: Options{Deliver: true}})
	if err != nil {
		t.Fatal(err)
	}
	var addrs []string
	for _, s := range a.Sockets {
		addrs = append(addrs, s.Address.String()+" "+string(s.Verdict))
	}
	i := slices.IndexFunc(a.Sockets, func(s matrix.AuditSocket) bool { return s.Address == second })
	if i < 0 || a.Sockets[i].Verdict != matrix.Hijackable || a.Verdict != matrix.AuditHijackable {
		t.Fatalf("audited %v (%s), want %v audited and hijackable", addrs, a.Verdict, second)
	}
	if !strings.Contains(a.Sockets[i].Note, "listing again after the attempts") || a.Target.Settle == "" {
		t.Errorf("note %q, settle %q: want the late socket named as such and the window stated", a.Sockets[i].Note, a.Target.Settle)
	}
}

// TestPrivilegeRefusalsProveNothing (item 4): a bind refused with EACCES
// (a port below net.ipv4.ip_unprivileged_port_start, as nobody) says
// nothing about sharing; it made a non-root audit EXCLUSIVE. It is
// unreached, "privileged only".
func TestPrivilegeRefusalsProveNothing(t *testing.T) {
	testenv.Need(t, os.Geteuid() == 0, "root (a privileged port, and a helper as nobody)", "run the tests as root")
	start, err := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start")
	threshold, _ := strconv.Atoi(strings.TrimSpace(string(start)))
	testenv.Need(t, err == nil && threshold > 900, "privileged ports (net.ipv4.ip_unprivileged_port_start above 900)", "sysctl net.ipv4.ip_unprivileged_port_start=1024")
	var s sock.Socket
	var at netip.AddrPort
	for p := uint16(900); p < uint16(threshold) && !s.Valid(); p++ {
		var outcome matrix.Outcome
		s, outcome, _, _ = sock.Attempt(matrix.SockIPv4, matrix.TCP, matrix.None, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), p))
		if outcome != matrix.OK {
			s.Close()
			s = sock.Socket{}
		}
		at = netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), p)
	}
	if !s.Valid() {
		t.Skip("no free privileged port")
	}
	defer s.Close()
	a, err := Sockets([]inventory.Socket{listed(t, matrix.TCP, at)}, Options{As: []string{"nobody"}})
	if err != nil {
		t.Fatal(err)
	}
	got := a.Sockets[0]
	for _, att := range got.Attempts {
		if att.User == "nobody" && (att.Outcome != matrix.Unreached || !strings.Contains(att.Note, "privileged only")) {
			t.Errorf("%v %s %s as nobody: %s (%q), want unreached, privileged only", att.Address, att.Family, att.Option, att.Outcome, att.Note)
		}
	}
	if got.Verdict != matrix.SocketUnreached {
		t.Errorf("verdict %s, want unreached", got.Verdict)
	}
}

// TestRootAttemptsAsTheSocketsOwner (item 5): root cannot join another
// user's SO_REUSEPORT group, so root's attempts alone said EXCLUSIVE about
// a socket its owner's processes can join (haproxy run as nobody). The
// attempts run as the owner sock_diag reports too, by default.
func TestRootAttemptsAsTheSocketsOwner(t *testing.T) {
	testenv.Need(t, os.Geteuid() == 0, "root (a socket of another user)", "run the tests as root")
	h, err := child.Start(child.UserNamed("nobody"))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Stop()
	at := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), freePort(t))
	s, outcome, _, err := h.Attempt(matrix.SockIPv4, matrix.TCP, matrix.ReusePort, at)
	//lint:ignore SA5001 Attempt returns the socket in every case, for the caller to close.
	defer s.Close()
	if err != nil || outcome != matrix.OK {
		t.Fatalf("nobody's listener: %s %v", outcome, err)
	}
	a, err := Run(context.Background(), Request{Port: at.Port(), Proto: matrix.TCP})
	if err != nil {
		t.Fatal(err)
	}
	got := a.Sockets[0]
	joined := slices.ContainsFunc(got.Attempts, func(att matrix.Attempt) bool {
		return att.User == "nobody" && att.Address == at && att.Option == matrix.ReusePort && att.Outcome == matrix.OK
	})
	if !joined || got.Verdict != matrix.Hijackable || !slices.Contains(a.Target.Users, "nobody") {
		t.Errorf("verdict %s, users %v; want nobody's SO_REUSEPORT bind to succeed and the socket hijackable", got.Verdict, a.Target.Users)
	}
}

// TestAGroupIsJudgedOnce (item 6): 40 SO_REUSEPORT listeners on one
// address were 40 audits of 64 connections each, and a newcomer that gets
// 1 in 41 of them misses all 64 one time in five: 3-4 came out exclusive.
// The group is one socket of the report, with every member's inode and
// traffic sized to it.
func TestAGroupIsJudgedOnce(t *testing.T) {
	const members = 40
	at := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), freePort(t))
	cmd := roleCommand(t, groupServer, strconv.Itoa(members), at.String())
	a, err := Run(context.Background(), Request{Command: cmd, Wait: 10 * time.Second, Options: Options{Deliver: true}})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Sockets) != 1 || len(a.Sockets[0].Inodes) != members {
		t.Fatalf("%d sockets in the report (first with %d inodes), want 1 group of %d (note %q)", len(a.Sockets), len(a.Sockets[0].Inodes), members, a.Note)
	}
	got := a.Sockets[0]
	i := slices.IndexFunc(got.Attempts, func(att matrix.Attempt) bool { return att.Address == at && att.Option == matrix.ReusePort })
	if got.Verdict != matrix.Hijackable || i < 0 || !got.Attempts[i].Took() {
		t.Errorf("verdict %s, SO_REUSEPORT attempt %+v: want hijackable, the newcomer taking a share", got.Verdict, got.Attempts)
	}
	if n := noneCount(members); n < 1700 || noneCount(1) != 64 {
		t.Errorf("noneCount(%d) = %d, noneCount(1) = %d; want about 1800 and 64", members, n, noneCount(1))
	}
}

// TestRestartCountsServingSocketsOnly (item 7): squid opens its outgoing
// DNS socket on a new port at every start, and the restart "failed" for
// want of the old port. Only serving sockets count: listening TCP, and UDP
// bound outside the ephemeral range.
func TestRestartCountsServingSocketsOnly(t *testing.T) {
	at := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), freePort(t))
	cmd := roleCommand(t, udpClientServer, matrix.ReuseAddr.String(), at.String())
	a, err := Run(context.Background(), Request{Command: cmd, Wait: 10 * time.Second, Restart: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(a.Sockets, func(s matrix.AuditSocket) bool { return s.Proto == matrix.UDP }) {
		t.Fatalf("the server's UDP client socket was not among its sockets: %+v", a.Sockets)
	}
	if r := a.Restart; r == nil || r.Verdict != matrix.RestartOK {
		t.Errorf("restart %+v, want ok: the UDP socket on a new ephemeral port is a client's", r)
	}
}

// TestNoLiveTrafficWithoutDeliver (item 8): without -deliver an attempt on
// a server the audit did not start took live connections (a listening
// SO_REUSEPORT newcomer, reset on close) and datagrams (a bound one). Now
// TCP attempts bind without listening, and UDP ones are made on a replica:
// every connection and datagram a client sends meanwhile reaches the
// server.
func TestNoLiveTrafficWithoutDeliver(t *testing.T) {
	for _, proto := range []matrix.Proto{matrix.TCP, matrix.UDP} {
		t.Run(proto.String(), func(t *testing.T) {
			s, at := open(t, proto, matrix.ReusePort, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), freePort(t)))
			defer s.Close()
			var sent, received atomic.Int64
			done := make(chan struct{})
			clients := make(chan struct{})
			go func() { // a live client of the server, throughout the audit
				defer close(clients)
				for {
					select {
					case <-done:
						return
					default:
					}
					if sent.Load()-received.Load() >= 64 { // never more in flight than the server's queue holds
						time.Sleep(100 * time.Microsecond)
						continue
					}
					c, err := net.DialTimeout(proto.String(), at.String(), time.Second)
					if errors.Is(err, syscall.ECONNRESET) {
						sent.Add(1) // accepted, and reset by the drain before the dial looked
					}
					if err != nil {
						continue
					}
					if proto == matrix.UDP {
						c.Write([]byte("x"))
					}
					c.Close()
					sent.Add(1)
				}
			}()
			drain := func() {
				n, err := s.Drain()
				if err != nil {
					t.Error(err)
				}
				received.Add(int64(n))
			}
			var a *matrix.Audit
			var err error
			audited := make(chan struct{})
			go func() { a, err = Run(context.Background(), Request{Port: at.Port(), Proto: proto}); close(audited) }()
		wait:
			for {
				select {
				case <-audited:
					break wait
				case <-time.After(time.Millisecond):
					drain()
				}
			}
			close(done)
			<-clients
			for deadline := time.Now().Add(2 * time.Second); received.Load() < sent.Load() && time.Now().Before(deadline); time.Sleep(time.Millisecond) {
				drain()
			}
			if err != nil {
				t.Fatal(err)
			}
			if received.Load() != sent.Load() {
				t.Errorf("the server received %d of %d %s its client sent during the audit", received.Load(), sent.Load(), proto)
			}
			got := a.Sockets[0]
			if got.Verdict != matrix.Hijackable {
				t.Errorf("verdict %s (%q), want hijackable", got.Verdict, got.Judged)
			}
			for _, att := range got.Attempts {
				switch {
				case proto == matrix.TCP && att.Outcome == matrix.OK && (!att.BoundOnly || !strings.Contains(att.Note, "listening would")):
					t.Errorf("%v %s: ok, bound only %v, note %q; want bound only, saying what listening would do", att.Address, att.Option, att.BoundOnly, att.Note)
				case proto == matrix.UDP && att.Address.Port() == at.Port():
					t.Errorf("%v %s: an attempt bound the server's UDP port", att.Address, att.Option)
				}
			}
			if proto == matrix.UDP && !strings.Contains(got.Judged, "replica") {
				t.Errorf("judged %q, want the replica named", got.Judged)
			}
			// As root, who can take it is confirmed by attempts as nobody:
			// they follow the same rule, checked above with the others.
			byStranger := slices.ContainsFunc(got.Attempts, func(att matrix.Attempt) bool { return att.User == Stranger })
			if os.Geteuid() == 0 && (!byStranger || got.Exposure == nil || got.Exposure.Check != matrix.Confirmed) {
				t.Errorf("as root: attempts as %s %v, exposure %+v; want them made, and confirming", Stranger, byStranger, got.Exposure)
			}
		})
	}
}

// TestASteeredGroupIsSaidSo (item 6): a program attached to a SO_REUSEPORT
// group picks its members, so a newcomer that joined may get none of any
// amount of traffic; but any member may replace the group's program with
// its own (first checked here, on this test's own group), so the joiner
// could take every connection. The audit says the group is steered, and
// that the socket is hijackable.
func TestASteeredGroupIsSaidSo(t *testing.T) {
	at := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), freePort(t))
	first, _ := open(t, matrix.TCP, matrix.ReusePort, at)
	defer first.Close()
	joiner, _ := open(t, matrix.TCP, matrix.ReusePort, at)
	defer joiner.Close()
	connect := func() {
		for range 8 {
			c, err := net.Dial("tcp", at.String())
			if err != nil {
				t.Fatal(err)
			}
			c.Close()
		}
	}
	for _, tc := range []struct {
		steerer sock.Socket
		to      uint32
		name    string
	}{{first, 0, "the first member's program"}, {joiner, 1, "the joiner's program"}} {
		if err := steerTo(tc.steerer, tc.to); err != nil {
			t.Fatal(err)
		}
		connect()
		n0, _ := first.Drain()
		n1, _ := joiner.Drain()
		if got := []int{n0, n1}; got[tc.to] != 8 {
			t.Fatalf("with %s, the members received %v of 8, want all to member %d", tc.name, got, tc.to)
		}
	}

	group := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), freePort(t))
	cmd := roleCommand(t, groupServer, "2", group.String(), "steer")
	a, err := Run(context.Background(), Request{Command: cmd, Wait: 10 * time.Second, Options: Options{Deliver: true}})
	if err != nil {
		t.Fatal(err)
	}
	got := a.Sockets[0]
	i := slices.IndexFunc(got.Attempts, func(att matrix.Attempt) bool { return att.Address == group && att.Option == matrix.ReusePort })
	if i < 0 || !got.Attempts[i].Steered || !strings.Contains(got.Attempts[i].Note, "steers the group") || got.Verdict != matrix.Hijackable {
		t.Errorf("verdict %s, attempts %+v: want the SO_REUSEPORT joiner steered, saying so, and the socket hijackable", got.Verdict, got.Attempts)
	}
}

// TestANonRootAuditOfAnotherUsersSocket (item 5): a non-root audit cannot
// attempt as another user, whose processes alone may join the socket's
// SO_REUSEPORT group: it said EXCLUSIVE, exit 0, and is incomplete now;
// `-pid` of another user's process said "no socket" (bad input), and now
// says its sockets could not be read. The audit runs as nobody, from a
// copy of this binary nobody may run.
func TestANonRootAuditOfAnotherUsersSocket(t *testing.T) {
	testenv.Need(t, os.Geteuid() == 0, "root (an audit run as nobody)", "run the tests as root")
	s, at := open(t, matrix.TCP, matrix.ReusePort, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), freePort(t)))
	defer s.Close()
	dir := testenv.TempDir(t)
	exe := filepath.Join(dir, "audit.test")
	self, err := reexec.Self()
	if err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile(self)
	if err == nil {
		err = os.WriteFile(exe, body, 0o755)
	}
	if err == nil {
		err = os.Chmod(dir, 0o755)
	}
	if err != nil {
		t.Fatal(err)
	}
	asNobody := func(args ...string) (string, int) {
		cmd := reexec.Command(exe, auditRole.Name, args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := cmd.Output()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatal(err)
		}
		return string(out), cmd.ProcessState.ExitCode()
	}

	out, code := asNobody("port", strconv.Itoa(int(at.Port())))
	a, err := matrix.DecodeAudit("audit", []byte(out))
	if code != 0 || err != nil {
		t.Fatalf("audit -port as nobody: exit %d, %v:\n%s", code, err, out)
	}
	if a.Verdict != matrix.AuditIncomplete || a.Sockets[0].Verdict != matrix.SocketUnreached || !strings.Contains(a.Sockets[0].Note, "cannot attempt as its owner") {
		t.Errorf("nobody's audit of root's SO_REUSEPORT listener: %s, socket %s (%q); want incomplete, unreached, saying why", a.Verdict, a.Sockets[0].Verdict, a.Sockets[0].Note)
	}

	out, code = asNobody("pid", strconv.Itoa(os.Getpid()))
	a, err = matrix.DecodeAudit("audit", []byte(out))
	if code != 0 || err != nil || a.Verdict != matrix.AuditIncomplete || !strings.Contains(a.Note, "could not be read") {
		t.Errorf("audit -pid of root's process as nobody: exit %d (%v):\n%s\nwant an incomplete audit saying its sockets could not be read", code, err, out)
	}
}
