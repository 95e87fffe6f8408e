package audit

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bindmatrix/bindmatrix/internal/inventory"
	"github.com/bindmatrix/bindmatrix/internal/sock"
	"github.com/bindmatrix/bindmatrix/internal/testenv"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// On Linux the verdicts are known (socket(7), and the matrix agrees):

// TestAuditOfASharedListener: a listener with SO_REUSEPORT is joined by a
// same-user process with SO_REUSEPORT on the same address and family,
// which then receives part of the connections. Other SO_REUSEPORT binds
// succeed beside it but get none: the wildcard ones because the specific
// socket wins, the v4-mapped one because a group is of one family and the
// kernel prefers the IPv4 listener for IPv4 traffic.
func TestAuditOfASharedListener(t *testing.T) {
	cmd, at := serverCommand(t, matrix.ReusePort)
	a, err := Run(context.Background(), Request{Command: cmd, Wait: 10 * time.Second, Options: Options{Deliver: true}})
	if err != nil {
		t.Fatal(err)
	}
	if a.Verdict != matrix.AuditHijackable || len(a.Sockets) != 1 {
		t.Fatalf("verdict %s with %d sockets, want hijackable", a.Verdict, len(a.Sockets))
	}
	s := a.Sockets[0]
	for _, att := range s.Attempts {
		switch {
		case att.User == Stranger: // as root, the takeover made again as nobody (TestWhoCanTakeItIsShownAsNobody)
		case att.Address == at && att.Option == matrix.ReusePort:
			if att.Outcome != matrix.OK || att.Delivery == nil || att.Delivery.Second == 0 || att.Delivery.Sent != DefaultDeliverCount {
				t.Errorf("SO_REUSEPORT on %v: %s %+v, want ok and a share of %d connections", at, att.Outcome, att.Delivery, DefaultDeliverCount)
			}
		case att.Option == matrix.ReusePort:
			if att.Outcome != matrix.OK || att.Delivery == nil || att.Took() {
				t.Errorf("SO_REUSEPORT on %v (%s): %s %+v (%s), want ok, delivered, and none of the traffic", att.Address, att.Family, att.Outcome, att.Delivery, att.Note)
			}
		case att.Outcome != matrix.Failed("bind", "EADDRINUSE"):
			t.Errorf("%v %s %s: %s, want bind:EADDRINUSE", att.Address, att.Family, att.Option, att.Outcome)
		}
	}
	if !strings.Contains(s.Fix, "drop SO_REUSEPORT") {
		t.Errorf("fix %q does not say to drop SO_REUSEPORT", s.Fix)
	}
}

// TestRestartWhileTimeWaitHoldsThePort: on Linux a plain bind fails while
// TIME_WAIT entries hold the port, and SO_REUSEADDR lets it pass them.
func TestRestartWhileTimeWaitHoldsThePort(t *testing.T) {
	for _, tc := range []struct {
		opt  matrix.Option
		want matrix.RestartVerdict
	}{
		{matrix.None, matrix.RestartFailed},
		{matrix.ReuseAddr, matrix.RestartOK},
	} {
		t.Run(tc.opt.String(), func(t *testing.T) {
			cmd, _ := serverCommand(t, tc.opt)
			a, err := Run(context.Background(), Request{Command: cmd, Wait: 5 * time.Second, Restart: true})
			if err != nil {
				t.Fatal(err)
			}
			r := a.Restart
			if r == nil || r.Verdict != tc.want || r.TimeWait == 0 && tc.want == matrix.RestartOK {
				t.Fatalf("restart %+v, want %s with TIME_WAIT proven", r, tc.want)
			}
			if !strings.Contains(r.Witness, "TIME_WAIT") {
				t.Errorf("witness %q does not show the TIME_WAIT entries", r.Witness)
			}
			if tc.want == matrix.RestartFailed && !strings.Contains(r.Output, "EADDRINUSE") {
				t.Errorf("a failed restart's output %q does not show why", r.Output)
			}
		})
	}
}

// TestAnotherUserCannotJoin: SO_REUSEPORT groups are per effective user
// (socket(7)): attempts as another user are refused where the same user's
// succeed.
func TestAnotherUserCannotJoin(t *testing.T) {
	testenv.Need(t, os.Geteuid() == 0, "root (a helper as another user)", "run the tests as root")
	cmd, at := serverCommand(t, matrix.ReusePort)
	a, err := Run(context.Background(), Request{Command: cmd, Wait: 10 * time.Second, Options: Options{As: []string{"nobody"}}})
	if err != nil {
		t.Fatal(err)
	}
	byUser := map[string]matrix.Outcome{}
	for _, att := range a.Sockets[0].Attempts {
		if att.Address == at && att.Option == matrix.ReusePort {
			byUser[att.User] = att.Outcome
		}
	}
	if byUser["same"] != matrix.OK || byUser["nobody"] != matrix.Failed("bind", "EADDRINUSE") {
		t.Errorf("SO_REUSEPORT on %v: %v, want ok as the same user and bind:EADDRINUSE as nobody", at, byUser)
	}
}

// TestNoTrafficReachesAnotherProgramsSocket: beside an audited UDP socket
// on 0.0.0.0 another program's on 127.0.0.1 shares the port (as mDNS and
// SSDP responders do); datagrams to 127.0.0.1 would reach it, not the
// newcomer, so no attempt sends any. It received 192 before.
func TestNoTrafficReachesAnotherProgramsSocket(t *testing.T) {
	at, _ := bound(t, matrix.UDP, matrix.ReuseAddr, sock.Addr(matrix.SockIPv4, matrix.Wildcard, 0)).LocalAddr()
	another := bound(t, matrix.UDP, matrix.ReuseAddr, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), at.Port()))
	a, err := Sockets([]inventory.Socket{{Proto: matrix.UDP, Local: at, Family: matrix.SockIPv4, UID: -1, Command: "this test"}}, Options{Deliver: true})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := another.Drain(); err != nil || n != 0 {
		t.Errorf("another program's socket received %d test datagrams (%v), want none", n, err)
	}
	bound := 0
	for _, att := range a.Sockets[0].Attempts {
		if att.Outcome != matrix.OK {
			continue
		}
		bound++
		if att.Delivery != nil || !strings.Contains(att.Note, "another program's socket shares the port") {
			t.Errorf("%v %s %s: delivery %+v, note %q; want none, and the reason", att.Address, att.Family, att.Option, att.Delivery, att.Note)
		}
	}
	if bound == 0 {
		t.Errorf("no attempt bound beside a SO_REUSEADDR UDP socket: %+v", a.Sockets[0].Attempts)
	}
}

// TestNoRestartConnectionReachesAnotherProgramsListener: another program's
// SO_REUSEPORT listener shares the server's address (it listened first;
// the server joined its group). Connections for the restart check would
// be shared with it, so none is made and the restart is unreached, saying
// why; no test traffic goes there either.
func TestNoRestartConnectionReachesAnotherProgramsListener(t *testing.T) {
	cmd, at := serverCommand(t, matrix.ReusePort)
	another := bound(t, matrix.TCP, matrix.ReusePort, at)
	a, err := Run(context.Background(), Request{Command: cmd, Wait: 10 * time.Second, Restart: true, Options: Options{Deliver: true}})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Sockets) != 1 || a.Sockets[0].PID == os.Getpid() {
		t.Fatalf("audited %+v, want the server's socket alone", a.Sockets)
	}
	if n, err := another.Drain(); err != nil || n != 0 {
		t.Errorf("another program's listener got %d connections (%v), want none", n, err)
	}
	r := a.Restart
	if r == nil || r.Verdict != matrix.RestartUnreached || !strings.Contains(r.Note, "shared with another program's sockets") {
		t.Errorf("restart %+v, want unreached because another program shares the port", r)
	}
}

// TestNoTrafficToAGuessedSocketUnlessAsked: where the OS records no owner
// (Wine), a command's sockets are a guess, and may be another program's:
// they get test traffic only when it is asked for explicitly.
func TestNoTrafficToAGuessedSocketUnlessAsked(t *testing.T) {
	at, _ := bound(t, matrix.UDP, matrix.ReuseAddr, sock.Addr(matrix.SockIPv4, matrix.Specific, 0)).LocalAddr()
	guessed := inventory.Socket{Proto: matrix.UDP, Local: at, Family: matrix.SockIPv4, UID: -1, Unrecorded: true}
	for _, asked := range []bool{false, true} {
		a, err := Sockets([]inventory.Socket{guessed}, Options{Deliver: true, DeliverToGuessed: asked})
		if err != nil {
			t.Fatal(err)
		}
		delivered := slices.ContainsFunc(a.Sockets[0].Attempts, func(att matrix.Attempt) bool { return att.Delivery != nil })
		if delivered != asked {
			t.Errorf("asked explicitly %v: delivered %v (%+v)", asked, delivered, a.Sockets[0].Attempts)
		}
	}
}

// bound is an IPv4 socket of this test with opt, bound to at (and, for
// TCP, listening), closed when the test ends.
func bound(t *testing.T, proto matrix.Proto, opt matrix.Option, at netip.AddrPort) sock.Socket {
	t.Helper()
	s, outcome, _, err := sock.Attempt(matrix.SockIPv4, proto, opt, at)
	if err != nil || outcome != matrix.OK {
		t.Fatalf("%s %s on %v: %s %v", proto, opt, at, outcome, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestAFullBacklogIsNoTakeover: a listener that never accepts (a test's
// own, or a stuck server) fills its backlog (128) while the attempts'
// traffic goes to it; sending then stalls. A newcomer that got none of
// as many connections as make a hash share's "none" sure (noneCount:
// 64 for one socket, odds 2^-64) sent before that took none: it is
// counted, not listed as one that could take the traffic for want of a
// count. One that stalled sooner stays uncounted, saying why. Rounds of
// 64 make the first attempt that gets none stall after 65 at least: the
// join before it left at most 64 in the backlog.
func TestAFullBacklogIsNoTakeover(t *testing.T) {
	at, _ := bound(t, matrix.TCP, matrix.ReusePort, sock.Addr(matrix.SockIPv4, matrix.Specific, 0)).LocalAddr()
	a, err := Sockets([]inventory.Socket{{Proto: matrix.TCP, Local: at, Family: matrix.SockIPv4, PIDs: []int{os.Getpid()}, UID: -1, Command: "this test"}},
		Options{Deliver: true, DeliverCount: 64})
	if err != nil {
		t.Fatal(err)
	}
	stalled := 0
	for _, att := range a.Sockets[0].Attempts {
		var sent int
		if _, after, ok := strings.Cut(att.Note, "sending stopped after "); !ok || att.Outcome != matrix.OK {
			continue
		} else if _, err := fmt.Sscanf(after, "%d", &sent); err != nil {
			continue
		}
		if sent < noneCount(1) {
			if att.Delivery != nil {
				t.Errorf("%s %s: %+v (%s); stalled after %d, too few for a none, yet counted", att.Address, att.Option, att.Delivery, att.Note, sent)
			}
			continue
		}
		stalled++
		if att.Delivery == nil || att.Delivery.Second != 0 || att.Delivery.Sent != sent {
			t.Errorf("%s %s: %+v (%s); want none of %d counted", att.Address, att.Option, att.Delivery, att.Note, sent)
		}
	}
	if stalled == 0 {
		t.Fatalf("no attempt's traffic stalled on the full backlog after %d; the test shows nothing: %+v", noneCount(1), a.Sockets[0].Attempts)
	}
}
