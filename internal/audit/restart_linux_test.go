package audit

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/bindmatrix/bindmatrix/internal/ports"
	"github.com/bindmatrix/bindmatrix/internal/reexec"
	"github.com/bindmatrix/bindmatrix/internal/sock"
	"github.com/bindmatrix/bindmatrix/matrix"
	"github.com/bindmatrix/bindmatrix/report"
)

// roleOnPort is the command line of a test role on a free loopback port
// of proto.
func roleOnPort(t *testing.T, role reexec.Role, proto matrix.Proto) []string {
	t.Helper()
	port, err := ports.Probe(proto, 0)
	if err != nil {
		t.Fatal(err)
	}
	self, err := reexec.Self()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(reexec.Env, role.Name)
	return []string{self, sock.Addr(matrix.SockIPv4, matrix.Specific, port).String()}
}

// TestRestartOfAUDPServerIsNotApplicable: TIME_WAIT holds TCP ports only,
// so a server with no TCP listener has nothing a restart could trip on:
// the check says so, and the audit is not incomplete for it (it was
// "unreached", exit 3).
func TestRestartOfAUDPServerIsNotApplicable(t *testing.T) {
	a, err := Run(context.Background(), Request{Command: roleOnPort(t, udpServer, matrix.UDP), Wait: 10 * time.Second, Restart: true})
	if err != nil {
		t.Fatal(err)
	}
	if a.Restart == nil || a.Restart.Verdict != matrix.RestartNotApplicable || !strings.Contains(a.Restart.Note, "no TCP listener") {
		t.Fatalf("restart %+v, want not applicable: no TCP listener", a.Restart)
	}
	if a.Verdict != matrix.AuditExclusive {
		t.Errorf("verdict %s (note %q), want exclusive: a plain UDP socket", a.Verdict, a.Note)
	}
}

// TestAServerThatResetsOnSIGTERMIsNamed: a server that aborts its
// connections when stopped leaves no TIME_WAIT entry; the restart check
// cannot be made, and says that this server resets them.
func TestAServerThatResetsOnSIGTERMIsNamed(t *testing.T) {
	a, err := Run(context.Background(), Request{Command: roleOnPort(t, resettingServer, matrix.TCP), Wait: 10 * time.Second, Restart: true})
	if err != nil {
		t.Fatal(err)
	}
	if r := a.Restart; r == nil || r.Verdict != matrix.RestartUnreached || !strings.Contains(r.Note, "resets its connections when it is stopped") {
		t.Fatalf("restart %+v, want unreached, naming the resets", a.Restart)
	}
}

// TestAnEarlyExitIsToldPlainly: a command that exits with status 0 before
// it listens is said to have exited with status 0, not "(<nil>)", and its
// output keeps its lines (the text showed a literal \n between them).
func TestAnEarlyExitIsToldPlainly(t *testing.T) {
	a, err := Run(context.Background(), Request{Command: []string{"sh", "-c", "echo one; echo two"}, Wait: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	r, _ := report.New("text")
	r.Audit(&b, a)
	if strings.Contains(b.String(), "<nil>") || strings.Contains(b.String(), `\n`) || !strings.Contains(b.String(), "exit status 0") {
		t.Errorf("the report says:\n%s", b.String())
	}
}
