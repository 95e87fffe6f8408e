package report

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// runtimeFixture is two servers: one whose Linux audit agrees with its
// source, one whose audit says otherwise, and cells of every kind.
func runtimeFixture() ([]RuntimeRow, []RuntimeClaim, []RuntimeFix) {
	hijacked := auditFixture() // hijackable by SO_REUSEPORT, restart failed
	hijacked.Runtime = &matrix.RuntimeRun{Server: "nginx-reuseport", Version: "nginx/1.22.1", Date: "2026-11-24"}
	rows := []RuntimeRow{
		{Name: "nginx-reuseport", Title: "nginx listen reuseport", Runtime: "nginx", Audits: map[string]*matrix.Audit{
			"linux": hijacked,
			"wine":  {Runtime: &matrix.RuntimeRun{Server: "nginx-reuseport", Missing: "not installed under wine"}},
		}},
	}
	ap := netip.MustParseAddrPort
	resolver := &matrix.Audit{Schema: matrix.AuditSchema, Platform: matrix.Platform{Name: "linux"},
		Target: matrix.AuditTarget{Deliver: true, Users: []string{"same", "nobody"}},
		Sockets: []matrix.AuditSocket{
			{Proto: matrix.UDP, Address: ap("127.0.0.1:5353"), User: "root", Verdict: matrix.Hijackable, Attempts: []matrix.Attempt{
				{Address: ap("127.0.0.1:5353"), Option: matrix.ReuseAddr, User: "same", Outcome: matrix.OK, Delivery: &matrix.AttemptDelivery{Sent: 16, Second: 16}},
				{Address: ap("127.0.0.1:5353"), Option: matrix.ReuseAddr, User: "nobody", Outcome: matrix.OK, Delivery: &matrix.AttemptDelivery{Sent: 16, Second: 16}},
			}},
			{Proto: matrix.TCP, Address: ap("127.0.0.1:5353"), User: "root", Verdict: matrix.Exclusive, Attempts: []matrix.Attempt{
				{Address: ap("127.0.0.1:5353"), Option: matrix.ReuseAddr, User: "nobody", Outcome: matrix.Failed("bind", "EADDRINUSE")},
			}},
		},
		Restart: &matrix.Restart{Verdict: matrix.RestartOK, TimeWait: 3},
		Runtime: &matrix.RuntimeRun{Server: "unbound", Version: "Version 1.17.1", Date: "2026-12-06"}}
	resolver.Conclude()
	rows = append(rows, RuntimeRow{Name: "unbound", Title: "unbound", Runtime: "unbound",
		Audits:     map[string]*matrix.Audit{"linux": resolver},
		Daemon:     &DaemonNote{Knob: "so-reuseport: no", Production: "port 53 is below 1024"},
		Documented: map[string]string{"windows": "documented: exclusive"}})
	claims := []RuntimeClaim{
		{Server: "nginx-reuseport", OS: "unix", Sets: []matrix.Option{matrix.ReuseAddr, matrix.ReusePort}, Source: "nginx src/core/ngx_connection.c"},
		{Server: "unbound", OS: "unix", Sets: []matrix.Option{matrix.ReuseAddr}, Source: "services/listen_dnsport.c:273"},
	}
	fixes := []RuntimeFix{{Runtime: "nginx", OS: "unix", Text: "drop reuseport"}}
	return rows, claims, fixes
}

func TestRuntimeTableMatchesGoldenFile(t *testing.T) {
	var b bytes.Buffer
	rows, claims, fixes := runtimeFixture()
	if err := RuntimeTable(&b, rows, claims, fixes); err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join("testdata", "runtime-table.golden"), b.String())
}

// TestRuntimeTableShowsDisagreement: SO_REUSEADDR and SO_REUSEPORT predict
// a restart past TIME_WAIT; an audit whose restart failed disagrees, and
// the table says so where people look for it.
func TestRuntimeTableShowsDisagreement(t *testing.T) {
	var b bytes.Buffer
	rows, claims, fixes := runtimeFixture()
	RuntimeTable(&b, rows, claims, fixes)
	for _, want := range []string{
		"observed on Linux: hijackable, restart failed; SO_REUSEADDR and SO_REUSEPORT predicts hijackable, restart ok: the observation **disagrees** with the source",
		"| nginx listen reuseport | tcp 127.0.0.1:P: **hijackable** by 127.0.0.1:P SO_REUSEPORT, took 9 of 16",
		"| not installed under wine | not yet observed |",
		"## Daemons from Debian's packages",
		"| unbound | udp 127.0.0.1:P (root's) | hijackable | **any user** (confirmed: nobody's SO_REUSEADDR bind of 127.0.0.1:P took 16 of 16) | auditor: 16 of 16 (127.0.0.1:P SO_REUSEADDR); nobody: 16 of 16 (127.0.0.1:P SO_REUSEADDR) | ok (3 TIME_WAIT) |",
		"- **unbound**: so-reuseport: no. Production: port 53 is below 1024",
		"| documented: exclusive |",
		// SO_REUSEADDR on a UDP socket lets another socket share the port.
		"observed on Linux: hijackable, restart ok; SO_REUSEADDR predicts hijackable, restart ok: the observation agrees with the source",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, b.String())
		}
	}
}

// TestDocumentedCellReadsTheWindowsTable: a Windows cell without a run
// says what matrix/expected/windows.txt holds for the server's sockets:
// a listener that set nothing on the wildcard is taken by a more specific
// bind; on loopback it is exclusive; one that set SO_REUSEADDR is taken by
// another SO_REUSEADDR bind of the same address (FACTS.md, Windows).
func TestDocumentedCellReadsTheWindowsTable(t *testing.T) {
	dir := filepath.Join("..", "matrix", "expected")
	table, err := matrix.LoadTable(os.DirFS(dir), dir, "windows")
	if err != nil {
		t.Fatal(err)
	}
	ap := netip.MustParseAddrPort
	listening := func(addr string) *matrix.Audit {
		return &matrix.Audit{Sockets: []matrix.AuditSocket{{Proto: matrix.TCP, Address: ap(addr)}}}
	}
	for _, tc := range []struct {
		name string
		sets []matrix.Option
		on   string
		want string
	}{
		{"nothing, wildcard", nil, "0.0.0.0:80", "tcp 0.0.0.0:P: hijackable by the same user: none on loopback beside it, SO_REUSEADDR on loopback beside it"},
		{"nothing, loopback", nil, "127.0.0.1:80", "tcp 127.0.0.1:P: exclusive"},
		{"SO_REUSEADDR, loopback", []matrix.Option{matrix.ReuseAddr}, "127.0.0.1:80", "tcp 127.0.0.1:P: hijackable by the same user: SO_REUSEADDR on the same address"},
		{"SO_EXCLUSIVEADDRUSE, wildcard", []matrix.Option{matrix.ExclusiveAddrUse}, "0.0.0.0:80", "tcp 0.0.0.0:P: exclusive"},
	} {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			got := DocumentedCell(table, tc.sets, listening(tc.on))
			if !strings.HasPrefix(got, "documented (") || !strings.Contains(got, tc.want) {
				t.Errorf("DocumentedCell = %q, want it documented and with %q", got, tc.want)
			}
		})
	}
}

// TestFirstLineOfAnIncompleteAudit: a table cell names the program by its
// file name, not the path of the machine it ran on, leaves the quoted
// output in the JSON, and keeps an error code the output names.
func TestFirstLineOfAnIncompleteAudit(t *testing.T) {
	note := "Z:\\work\\wt\\x\\node.exe exited before it listened (exit status 1); its output ends:\n    at emitErrorNT (node:net:1977:8)\r\n  code: 'ENOTSUP',\r\n  errno: -4049,\r\n}"
	if got, want := firstLine(note), "node.exe exited before it listened (exit status 1), ENOTSUP"; got != want {
		t.Errorf("firstLine = %q, want %q", got, want)
	}
	if got, want := firstLine("/opt/deno exited before it listened (exit status 0x80000003); its output ends:\n\t(No symbol)"), "deno exited before it listened (exit status 0x80000003)"; got != want {
		t.Errorf("firstLine = %q, want %q", got, want)
	}
}
