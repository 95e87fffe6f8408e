package bindtest

import (
	"net"
	"os/exec"
	"strings"
	"testing"

	"github.com/bindmatrix/bindmatrix/internal/host"
	"github.com/bindmatrix/bindmatrix/internal/testenv"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// TestGoListenerOnThisOS audits Go's default listener, on loopback and on
// the wildcard, and holds the verdict to what this OS is known to do. On
// Linux, Go's SO_REUSEADDR lets no second socket listen (socket(7)), and
// the matrix agrees: exclusive. Elsewhere the audit's own verdict is shown.
func TestGoListenerOnThisOS(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0", ":0"} {
		t.Run(addr, func(t *testing.T) {
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			a, err := Audit(ln)
			if err != nil {
				t.Fatal(err)
			}
			if len(a.Sockets) != 1 || len(a.Sockets[0].Attempts) == 0 {
				t.Fatalf("audited %d sockets with %+v", len(a.Sockets), a.Sockets)
			}
			for _, at := range a.Sockets[0].Attempts {
				if at.Outcome == matrix.Unreached {
					t.Errorf("attempt %s %s %s could not be made: %s", at.Address, at.Family, at.Option, at.Note)
				}
			}
			if host.Platform().Name == "linux" && a.Verdict != matrix.AuditExclusive {
				t.Errorf("Go's listener on %s is %s on Linux; want exclusive:\n%+v", addr, a.Verdict, a.Sockets[0])
			}
			t.Logf("%s on %s: %s", addr, host.Platform().Name, a.Verdict)
		})
	}
}

// TestImportsNothingHeavy: a project that imports bindtest gets x/sys and
// nothing else of ours: no tools, no test libraries.
func TestImportsNothingHeavy(t *testing.T) {
	goTool, err := exec.LookPath("go")
	testenv.Need(t, err == nil, "the go command", "install Go")
	out, err := exec.Command(goTool, "list", "-deps", "-f", "{{with .Module}}{{.Path}}{{end}}", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, mod := range strings.Fields(string(out)) {
		if mod != "github.com/bindmatrix/bindmatrix" && mod != "golang.org/x/sys" {
			t.Errorf("bindtest pulls in module %s", mod)
		}
	}
}
