package lane

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bindmatrix/bindmatrix/internal/ports"
	"github.com/bindmatrix/bindmatrix/matrix"

	"github.com/bindmatrix/bindmatrix/internal/testenv"
)

// The Wine lane end to end: the Windows build runs under Wine here and its
// observation must agree with matrix/expected/wine.txt. The first run makes
// the Wine prefix (about half a minute); later runs take about ten seconds.
func TestWineLane(t *testing.T) {
	testenv.SkipIfShort(t, "runs the Windows build under Wine (half a minute for a fresh prefix)")
	_, err := findWineTools()
	need(t, err == nil, "Wine or the MinGW cross compiler", fmt.Sprint(err))
	for _, tc := range []struct {
		name, only string
		cells      int
	}{
		// Listening is where Wine and Windows part ways; time_wait is
		// where the witness must prove the state.
		{"listening_and_time_wait", "process=same,family=ipv4,first_addr=specific,second_addr=specific,state=listening,state=time_wait", 32},
		{"udp", "process=same,proto=udp,family=ipv4,first_addr=specific", 64},
		{"dual_stack", "process=same,family=dual,state=listening,first_family=ipv4,first_addr=wildcard,second_addr=wildcard", 16},
		{"other_process", "process=other,state=listening,family=ipv4,proto=tcp,first_addr=specific,second_addr=specific", 16},
		{"tcp", "proto=tcp,process=same,family=ipv4,family=ipv6", 640},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			obs, err := Run(t.Context(), Config{Under: "wine", Only: tc.only, Log: testLog{t}})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d cells under %s in %v", len(obs.Cells), obs.Platform.Kernel, time.Since(start).Round(time.Millisecond))
			checkWineObservation(t, obs, tc.cells)
		})
	}
}

func checkWineObservation(t *testing.T, obs *matrix.Observation, cells int) {
	t.Helper()
	if obs.Platform.Name != "wine" || obs.Platform.GOOS != "windows" || !strings.HasPrefix(obs.Platform.Kernel, "wine-") {
		t.Errorf("platform = %+v, want name wine, goos windows, kernel wine-VERSION", obs.Platform)
	}
	if len(obs.Cells) != cells {
		t.Errorf("got %d cells, want %d", len(obs.Cells), cells)
	}
	// Each state's evidence must be the one that proves it, or the cell
	// must say why it is unreached.
	proof := map[matrix.State]string{
		matrix.Bound:       "getsockname",
		matrix.Listening:   "SO_ACCEPTCONN=1", // Wine's own word: a table read per cell costs milliseconds
		matrix.TimeWait:    "TIME_WAIT",
		matrix.Established: "ESTABLISHED",
		matrix.Closed:      "succeeded",
	}
	for _, r := range obs.Cells {
		switch {
		case r.Outcome == matrix.Unsupported:
		case r.Outcome == matrix.Unreached && r.Note == "":
			t.Errorf("%s: unreached without a note", r.Cell)
		case r.Outcome == matrix.Unreached:
			t.Logf("%s: unreached: %s", r.Cell, r.Note)
		case !strings.Contains(r.Witness, proof[r.State]):
			t.Errorf("%s: %s with witness %q, which does not show %s", r.Cell, r.Outcome, r.Witness, proof[r.State])
		}
	}
	table, err := matrix.LoadTable(matrix.BuiltinTables(), matrix.ExpectedDir, "wine")
	if err != nil {
		t.Fatal(err)
	}
	c := matrix.Compare(table, obs)
	for _, d := range c.Differences {
		t.Errorf("%s: observed %s, %s expects %s", d.Cell, d.Outcome, table.File, d.Expected.Outcome)
	}
	if len(c.Unreached) > 0 {
		t.Errorf("%d cells unreached; every state should be reachable under Wine", len(c.Unreached))
	}
}

// testLog sends the lane's progress lines to the test log.
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestWineAuditsAGoServer audits the Windows build of the Go reference
// server under Wine, restart included. Wine's sockets sit on the Linux
// kernel, and against a listening socket every second bind fails there
// (matrix/expected/wine.txt): exclusive, although real Windows lets a
// same-user SO_REUSEADDR bind take Go's plain listener in some cases.
func TestWineAuditsAGoServer(t *testing.T) {
	testenv.SkipIfShort(t, "audits a server under Wine, restart included")
	_, err := findWineTools()
	need(t, err == nil, "Wine or the MinGW cross compiler", fmt.Sprint(err))
	server := filepath.Join(testenv.TempDir(t), "goserver.exe")
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	// runtimes/go is a module of its own.
	build := exec.Command("go", "build", "-o", server, ".")
	build.Dir = filepath.Join(root, "runtimes", "go")
	build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the Go server for Windows: %v\n%s", err, out)
	}
	port, err := ports.Probe(matrix.TCP, 0)
	if err != nil {
		t.Fatal(err)
	}
	a, err := Audit(t.Context(), Config{Under: "wine", Log: testLog{t}}, []string{"-restart", "--", WindowsPath(server), fmt.Sprint(port)})
	if err != nil {
		t.Fatal(err)
	}
	if a.Platform.Name != "wine" || len(a.Sockets) != 1 || a.Sockets[0].Address.Port() != port {
		t.Fatalf("audited %+v on %s, want the server's socket on port %d under wine (note %q)", a.Sockets, a.Platform.Name, port, a.Note)
	}
	for _, at := range a.Sockets[0].Attempts {
		if errno := at.Outcome.Errno(); at.Outcome.Call() != "bind" || errno != "EADDRINUSE" && errno != "EACCES" {
			t.Errorf("%s %s %s: %s, want a refused bind (Wine refuses every bind beside a listener)", at.Address, at.Family, at.Option, at.Outcome)
		}
	}
	if a.Verdict != matrix.AuditExclusive || a.Restart == nil || a.Restart.Verdict != matrix.RestartOK || a.Restart.TimeWait == 0 {
		t.Errorf("verdict %s, restart %+v; want exclusive and a restart past proven TIME_WAIT entries", a.Verdict, a.Restart)
	}
}

// TestPrefixReadyNeedsWhatTheBuildLoads: a prefix missing a DLL the
// Windows build loads is rebuilt, not used (it made every run panic).
func TestPrefixReadyNeedsWhatTheBuildLoads(t *testing.T) {
	prefix := testenv.TempDir(t)
	for _, f := range prefixFiles(prefix) {
		os.MkdirAll(filepath.Dir(f), 0o755)
		if err := os.WriteFile(f, []byte("MZ"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(prefix, stampName), []byte("key"), 0o644)
	if !prefixReady(prefix, "key") {
		t.Fatal("a complete prefix is not ready")
	}
	os.Remove(filepath.Join(prefix, "drive_c", "windows", "system32", "ws2_32.dll"))
	if prefixReady(prefix, "key") {
		t.Error("a prefix without ws2_32.dll is ready")
	}
}

// TestACrashSaysWhatItWas: a Go crash's first lines (what it was) reach
// the error beside the end of its stack dump.
func TestACrashSaysWhatItWas(t *testing.T) {
	var dump strings.Builder
	dump.WriteString("fatal error: unexpected signal during runtime execution\n[signal 0xc0000005 code=0x0 addr=0x0 pc=0x0]\n\n")
	for i := range 100 {
		fmt.Fprintf(&dump, "goroutine %d [GC worker (idle)]:\n\truntime/mgc.go:1695\n", i)
	}
	err := withStderr(errors.New("exit status 2"), dump.String())
	for _, want := range []string{"fatal error: unexpected signal", "goroutine 99 [GC worker"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error lacks %q:\n%v", want, err)
		}
	}
	if err := withStderr(errors.New("exit status 1"), "wine: could not load\n"); strings.Contains(err.Error(), "...") {
		t.Errorf("a stderr without a crash got a crash head: %v", err)
	}
}
