package report

import (
	"bytes"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// auditFixture is a fixed audit with one socket of each verdict and a
// failed restart, so every part of each rendering shows.
func auditFixture() *matrix.Audit {
	ap := netip.MustParseAddrPort
	inuse := matrix.Failed("bind", "EADDRINUSE")
	a := &matrix.Audit{
		Schema:   matrix.AuditSchema,
		Platform: matrix.Platform{Name: "linux", GOOS: "linux", GOARCH: "amd64", Kernel: "6.1.0-test", Go: "go1.26"},
		Target:   matrix.AuditTarget{Command: []string{"nginx", "-c", "reuse.conf"}, Deliver: true, Users: []string{"same"}},
		Sockets: []matrix.AuditSocket{
			{Proto: matrix.TCP, Address: ap("127.0.0.1:8080"), Family: matrix.SockIPv4, PID: 42, Command: "nginx", User: "www", Inodes: []uint64{1001},
				Verdict: matrix.Hijackable, Fix: "drop SO_REUSEPORT",
				Exposure: &matrix.Exposure{Who: matrix.WhoSameUser, Owner: "www", Derived: matrix.WhoSameUser,
					Why:   "only processes of the effective uid that created a SO_REUSEPORT socket may join its group (socket(7))",
					Check: matrix.Confirmed, Checked: "as nobody: 127.0.0.1:8080 SO_REUSEPORT bind:EADDRINUSE", UnprivilegedPortStart: 1024},
				Attempts: []matrix.Attempt{
					{Address: ap("127.0.0.1:8080"), Family: matrix.SockIPv4, Option: matrix.None, User: "same", Outcome: inuse, Native: 98},
					{Address: ap("127.0.0.1:8080"), Family: matrix.SockIPv4, Option: matrix.ReusePort, User: "same", Outcome: matrix.OK,
						Delivery: &matrix.AttemptDelivery{Sent: 16, Second: 9}},
					{Address: ap("0.0.0.0:8080"), Family: matrix.SockIPv4, Option: matrix.ReusePort, User: "same", Outcome: matrix.OK,
						Delivery: &matrix.AttemptDelivery{Sent: 64}},
					{Address: ap("[::ffff:127.0.0.1]:8080"), Family: matrix.SockDualStack, Option: matrix.ReusePort, User: "same", Outcome: matrix.OK,
						Delivery: &matrix.AttemptDelivery{Sent: 64}},
					{Address: ap("127.0.0.1:8080"), Family: matrix.SockIPv4, Option: matrix.ReusePort, User: "nobody", Outcome: inuse, Native: 98},
				}},
			// A second thread's socket on the same address.
			{Proto: matrix.TCP, Address: ap("127.0.0.1:8080"), Family: matrix.SockIPv4, PID: 42, Command: "nginx", User: "www", Inodes: []uint64{1002},
				Verdict: matrix.Hijackable, Fix: "drop SO_REUSEPORT",
				Attempts: []matrix.Attempt{
					{Address: ap("127.0.0.1:8080"), Family: matrix.SockIPv4, Option: matrix.ReusePort, User: "same", Outcome: matrix.OK,
						Note: "no delivery check: another program's socket shares the port and could receive the test traffic: 127.0.0.1:8080 of pid 7 (other)"},
				}},
			{Proto: matrix.UDP, Address: ap("[::1]:5353"), Family: matrix.SockIPv6, Verdict: matrix.SocketUnreached,
				Note: "its holder was not found | (not root)\nsecond line",
				Attempts: []matrix.Attempt{
					{Address: ap("[::1]:5353"), Family: matrix.SockIPv6, Option: matrix.None, User: "same", Outcome: matrix.Unreached, Note: "the helper process is gone"},
				}},
		},
		Restart: &matrix.Restart{Verdict: matrix.RestartFailed, TimeWait: 2, Witness: "sock_diag TIME_WAIT 127.0.0.1:8080<->127.0.0.1:50000",
			Output: "bind() to 127.0.0.1:8080 failed (98: Address already in use)\x1b[2K\nVERDICT: FORGED"},
	}
	a.Conclude()
	return a
}

func TestAuditRenderingsMatchGoldenFiles(t *testing.T) {
	a := auditFixture()
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			r, _ := New(format)
			var b bytes.Buffer
			if err := r.Audit(&b, a); err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", "audit."+format+".golden"), b.String())
		})
	}
}

// TestAuditJSONReadsBack: the audit document decodes into what was encoded.
func TestAuditJSONReadsBack(t *testing.T) {
	a := auditFixture()
	var b bytes.Buffer
	if err := a.Encode(&b); err != nil {
		t.Fatal(err)
	}
	back, err := matrix.DecodeAudit("audit.json", b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	back.Encode(&again)
	if again.String() != b.String() {
		t.Errorf("round trip changed the document:\n%s\nvs\n%s", b.String(), again.String())
	}
}

// TestTextCannotBeForged: control characters from a server's output or a
// note are escaped, so they cannot rewrite or add a line of the report.
func TestTextCannotBeForged(t *testing.T) {
	var b bytes.Buffer
	text{}.Audit(&b, auditFixture())
	out := b.String()
	if strings.Contains(out, "\x1b") || strings.Count(out, "\nVERDICT:") != 1 || !strings.HasSuffix(strings.TrimSpace(out), "VERDICT: HIJACKABLE (2 of 3 sockets can be taken over by another process)") {
		t.Errorf("the rendering holds a raw control character or a forged verdict:\n%s", out)
	}
}

// TestCommandHeaderQuotesItsArguments: the header shows the command as it
// would be typed again; "bash -c 'nginx -c my.conf'" is three words, not
// four.
func TestCommandHeaderQuotesItsArguments(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"nginx", "-c", "my.conf"}, "`nginx -c my.conf`"},
		{[]string{"bash", "-c", "nginx -c my.conf"}, "`bash -c 'nginx -c my.conf'`"},
		{[]string{"sh", "-c", "echo it's"}, `` + "`" + `sh -c 'echo it'\''s'` + "`"},
		{[]string{"prog", ""}, "`prog ''`"},
	} {
		if got := targetLine(matrix.AuditTarget{Command: tc.args}); got != tc.want {
			t.Errorf("%q: header %s, want %s", tc.args, got, tc.want)
		}
	}
}

// TestRestartNotApplicable: a server with no TCP listener has nothing a
// restart could trip on; the renderings say so, and the verdict stays
// exclusive.
func TestRestartNotApplicable(t *testing.T) {
	a := &matrix.Audit{Schema: matrix.AuditSchema, Platform: matrix.Platform{Name: "linux"},
		Sockets: []matrix.AuditSocket{{Proto: matrix.UDP, Address: netip.MustParseAddrPort("127.0.0.1:5353"), Verdict: matrix.Exclusive, Attempts: []matrix.Attempt{}}},
		Restart: &matrix.Restart{Verdict: matrix.RestartNotApplicable, Note: "the server has no TCP listener"}}
	a.Conclude()
	var txt, xml bytes.Buffer
	text{}.Audit(&txt, a)
	junit{}.Audit(&xml, a)
	if a.Verdict != matrix.AuditExclusive || !strings.Contains(txt.String(), "restart: not applicable; the server has no TCP listener") ||
		!strings.Contains(txt.String(), "no restart check: the server has no TCP listener") || strings.Contains(txt.String(), "the restart worked") {
		t.Errorf("verdict %s:\n%s", a.Verdict, txt.String())
	}
	if !strings.Contains(xml.String(), `<skipped message="not applicable: the server has no TCP listener">`) {
		t.Errorf("junit:\n%s", xml.String())
	}
}
