package audit

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/bindmatrix/bindmatrix/internal/child"
	"github.com/bindmatrix/bindmatrix/internal/ports"
	"github.com/bindmatrix/bindmatrix/internal/procs"
	"github.com/bindmatrix/bindmatrix/internal/reexec"
	"github.com/bindmatrix/bindmatrix/internal/sock"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// testServer is a server for the audit to start: it listens on the address
// and with the option its arguments name, accepts connections and holds
// them, and exits when told to (the default action of SIGTERM).
var testServer = reexec.Role{Name: "test-server", Main: func() int {
	opt, err := matrix.ParseOption(os.Args[1])
	if err != nil {
		return 2
	}
	at := netip.MustParseAddrPort(os.Args[2])
	s, outcome, _, err := sock.Attempt(sock.FamilyOf(at.Addr()), matrix.TCP, opt, at)
	if err != nil || outcome != matrix.OK {
		os.Stderr.WriteString("test-server: bind: " + string(outcome) + "\n")
		return 1
	}
	for {
		// An accepted sock.Socket is a bare descriptor, with no finalizer:
		// it stays open, held, until the process exits.
		if _, err := s.Accept(); err != nil {
			return 1
		}
	}
}}

var exitAtOnce = reexec.Role{Name: "exit-at-once", Main: func() int { return 3 }}

// exitClean exits without an error and without listening (no shell needed:
// the test runs as Windows code under Wine too).
var exitClean = reexec.Role{Name: "exit-clean", Main: func() int { return 0 }}

func TestMain(m *testing.M) {
	reexec.Main(append([]reexec.Role{child.Role, procs.Role, testServer, exitAtOnce, exitClean, groupServer, lateServer, udpClientServer, auditRole, udpServer, resettingServer}, osRoles...)...)
	os.Exit(m.Run())
}

// serverCommand is the command line of a test server on a free loopback
// port; the role reaches it through the environment, which helpers do
// not inherit (reexec sets theirs).
func serverCommand(t *testing.T, opt matrix.Option) ([]string, netip.AddrPort) {
	t.Helper()
	port, err := ports.Probe(matrix.TCP, 0)
	if err != nil {
		t.Fatal(err)
	}
	self, err := reexec.Self()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(reexec.Env, testServer.Name)
	at := sock.Addr(matrix.SockIPv4, matrix.Specific, port)
	return []string{self, opt.String(), at.String()}, at
}

func TestBadRequestsAreRefused(t *testing.T) {
	for name, req := range map[string]Request{
		"nothing named":       {},
		"two targets":         {Port: 80, PID: 1},
		"restart without cmd": {Port: 80, Restart: true},
		"no such process":     {PID: 1 << 30},
		"negative count":      {Port: 80, Options: Options{DeliverCount: -1}},
		"as same":             {Port: 80, Options: Options{As: []string{"same"}}},
		"command not found":   {Command: []string{"/nonexistent/server"}},
		"no wait":             {Command: []string{"sh"}},
		"negative wait":       {Command: []string{"sh"}, Wait: -time.Second},
		"nothing on the port": {Port: freePort(t), Proto: matrix.TCP},
	} {
		if _, err := Run(context.Background(), req); !errors.Is(err, ErrBadInput) {
			t.Errorf("%s: %v, want ErrBadInput", name, err)
		}
	}
}

func freePort(t *testing.T) uint16 {
	p, err := ports.Probe(matrix.TCP, 0)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCommandThatNeverListens: a server that exits with an error before it
// listens was bad input (exit 2), with its output (it made the audit
// incomplete, exit 3, before); one that exits without an error and never
// listened makes the audit incomplete, never exclusive.
func TestCommandThatNeverListens(t *testing.T) {
	self, _ := reexec.Self()
	t.Setenv(reexec.Env, exitAtOnce.Name)
	_, err := Run(context.Background(), Request{Command: []string{self}, Wait: 5 * time.Second})
	if !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), "exited before it listened (exit status 3)") {
		t.Errorf("%v, want bad input saying it exited with status 3", err)
	}
	t.Setenv(reexec.Env, exitClean.Name)
	a, err := Run(context.Background(), Request{Command: []string{self}, Wait: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if a.Verdict != matrix.AuditIncomplete || !strings.Contains(a.Note, "exited before it listened") {
		t.Errorf("verdict %s note %q, want incomplete saying it exited", a.Verdict, a.Note)
	}
}

// TestAuditOfAPlainListener: a listener that set no option is exclusive on
// every OS the matrix knows for a bind of the same address... except where
// the attempt it cannot refuse exists; the test holds every attempt to
// having been made, and shows the verdict.
func TestAuditOfAPlainListener(t *testing.T) {
	cmd, at := serverCommand(t, matrix.None)
	a, err := Run(context.Background(), Request{Command: cmd, Wait: 10 * time.Second, Options: Options{Deliver: true}})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Sockets) != 1 || a.Sockets[0].Address != at {
		t.Fatalf("audited %+v, want the server's socket on %v (note %q)", a.Sockets, at, a.Note)
	}
	for _, at := range a.Sockets[0].Attempts {
		if at.Outcome == matrix.Unreached {
			t.Errorf("attempt %s %s %s: %s", at.Address, at.Family, at.Option, at.Note)
		}
	}
	t.Logf("a plain listener on %v: %s", at, a.Verdict)
}

// TestNoServerStartsOnceCancelled: an interrupted audit starts nothing
// more, the restart's server included (it outlived the audit once).
func TestNoServerStartsOnceCancelled(t *testing.T) {
	ctx, cancel := context.WithCancelCause(context.Background())
	stop := errors.New("stop")
	cancel(stop)
	cmd, _ := serverCommand(t, matrix.None)
	if s, err := startServer(ctx, cmd, "", nil); !errors.Is(err, stop) {
		if s != nil {
			s.stop()
		}
		t.Errorf("startServer after cancel: %v, want the cause", err)
	}
}
