package bindmatrix_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/bindmatrix/bindmatrix/internal/lane"
	"github.com/bindmatrix/bindmatrix/internal/testenv"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// actionStep is the script of the step of action.yml called name: its
// "run:" line, or the block under "run: |".
func actionStep(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile("action.yml")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	start := -1
	for i, l := range lines {
		if strings.TrimSpace(l) == "- name: "+name {
			start = i
		}
	}
	if start < 0 {
		t.Fatalf("action.yml has no step %q", name)
	}
	for i := start + 1; i < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[i]), "- "); i++ {
		key, value, _ := strings.Cut(strings.TrimSpace(lines[i]), ":")
		if key != "run" {
			continue
		}
		if value = strings.TrimSpace(value); value != "|" {
			return value
		}
		indent := len(lines[i]) - len(strings.TrimLeft(lines[i], " "))
		var block []string
		for _, l := range lines[i+1:] {
			if strings.TrimSpace(l) != "" && len(l)-len(strings.TrimLeft(l, " ")) <= indent {
				break
			}
			block = append(block, strings.TrimPrefix(l, strings.Repeat(" ", indent+2)))
		}
		return strings.Join(block, "\n")
	}
	t.Fatalf("step %q of action.yml runs nothing", name)
	return ""
}

// runStep runs a step's script as GitHub's bash shell does (-eo pipefail)
// in dir, with env added.
func runStep(t *testing.T, script, dir string, env ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestTheActionsWindowsBuildStartsItsHelpers: the action builds bindmatrix
// under the executable name of the runner's OS. Built for Windows without
// ".exe", the audit could not start its helper, which is the same
// executable started again ("executable file not found in %PATH%"), and
// every audit came out incomplete. The build step of action.yml is run
// as it is, for Windows, and the binary it makes audits a port under Wine.
func TestTheActionsWindowsBuildStartsItsHelpers(t *testing.T) {
	needGo(t)
	testenv.SkipIfShort(t, "builds bindmatrix for Windows and audits a port under Wine")
	if runtime.GOOS != "linux" {
		t.Skipf("skipped on %s: Wine runs from a Linux host", runtime.GOOS)
	}
	testenv.Need(t, lane.WineReady() == nil, "Wine or the MinGW cross compiler", "see docs/lanes.md")
	root, _ := os.Getwd()
	temp := testenv.TempDir(t)
	if out, err := runStep(t, actionStep(t, "build bindmatrix"), root, "GITHUB_ACTION_PATH="+root, "RUNNER_TEMP="+temp,
		"GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0"); err != nil {
		t.Fatalf("the build step: %v\n%s", err, out)
	}
	built, _ := filepath.Glob(filepath.Join(temp, "bindmatrix-bin", "*"))
	if len(built) != 1 || filepath.Base(built[0]) != "bindmatrix.exe" {
		t.Fatalf("the build step made %q for Windows, want bindmatrix.exe", built)
	}

	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	stdout, stderr, code, err := lane.RunProgram(context.Background(), nil, temp, built[0], "audit", "-json", "-port", strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	a, err := matrix.DecodeAudit("bindmatrix.exe audit under Wine", stdout)
	if err != nil {
		t.Fatalf("exit %d: %v\nstderr:\n%s", code, err, stderr)
	}
	if a.Note != "" || len(a.Sockets) == 0 {
		t.Fatalf("exit %d, %d sockets audited on port %d, note %q", code, len(a.Sockets), port, a.Note)
	}
	for _, s := range a.Sockets {
		for _, at := range s.Attempts {
			if at.Outcome == matrix.Unreached {
				t.Errorf("%s %s %s: unreached: %s", at.Address, at.Family, at.Option, at.Note)
			}
		}
	}
}

// TestTheActionSaysWhyThereIsNoReport: an audit that ends before it has a
// report (here, a bad -wait) leaves a summary that says so, with its
// stderr, rather than a final message pointing at an empty summary; and
// the action writes nothing into the user's working directory.
func TestTheActionSaysWhyThereIsNoReport(t *testing.T) {
	needGo(t)
	if runtime.GOOS == "windows" {
		t.Skip("skipped on Windows: runs the action's bash steps")
	}
	root, _ := os.Getwd()
	temp := testenv.TempDir(t)
	work := filepath.Join(temp, "work") // the user's checkout
	os.Mkdir(work, 0o755)
	summary, output := filepath.Join(temp, "summary.md"), filepath.Join(temp, "output")
	env := []string{"GITHUB_ACTION_PATH=" + root, "RUNNER_TEMP=" + temp, "GITHUB_STEP_SUMMARY=" + summary, "GITHUB_OUTPUT=" + output,
		"COMMAND=sleep 1", "RESTART=true", "WAIT=bogus"}
	if out, err := runStep(t, actionStep(t, "build bindmatrix"), root, env...); err != nil {
		t.Fatalf("the build step: %v\n%s", err, out)
	}
	if out, err := runStep(t, actionStep(t, "audit the server"), work, env...); err != nil {
		t.Fatalf("the audit step must record the failure, not fail itself: %v\n%s", err, out)
	}
	sum, _ := os.ReadFile(summary)
	if !bytes.Contains(sum, []byte("did not finish (exit 2)")) || !bytes.Contains(sum, []byte("bogus")) {
		t.Errorf("the summary does not say why there is no report:\n%s", sum)
	}
	outputs, _ := os.ReadFile(output)
	outs := map[string]string{}
	for _, l := range strings.Split(string(outputs), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			outs[k] = v
		}
	}
	if outs["status"] != "2" || outs["verdict"] != "" || strings.Contains(outs["where"], "the job summary has the report") {
		t.Errorf("outputs %q: want status 2, no verdict, and no claim of a report", outputs)
	}
	final, err := runStep(t, actionStep(t, "fail on a takeover, a failed restart or an incomplete audit"), work,
		"STATUS="+outs["status"], "VERDICT="+outs["verdict"], "WHERE="+outs["where"])
	if err == nil || strings.Contains(final, "has the report") {
		t.Errorf("the last step: %v, %q; want a failure that does not point at a report", err, final)
	}
	if left, _ := os.ReadDir(work); len(left) > 0 {
		t.Errorf("the action wrote %v into the working directory", left)
	}

	// A finished audit: its report goes to the summary, its JSON under
	// RUNNER_TEMP, and the outputs carry the verdict.
	os.Remove(summary)
	os.Remove(output)
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skipf("the finished audit needs python3: %v", err)
	}
	// Exec's environment keeps the last of a repeated variable.
	env = append(env, "WAIT=5s", "RESTART=false",
		"COMMAND=exec python3 -c 'import socket,time; s=socket.socket(); s.bind((\"127.0.0.1\",0)); s.listen(); time.sleep(30)'")
	if out, err := runStep(t, actionStep(t, "audit the server"), work, env...); err != nil {
		t.Fatalf("the audit step: %v\n%s", err, out)
	}
	outputs, _ = os.ReadFile(output)
	if !bytes.Contains(outputs, []byte("verdict=exclusive")) || !bytes.Contains(outputs, []byte("where=the job summary has the report")) {
		t.Errorf("outputs %q: want verdict=exclusive and the report in the summary", outputs)
	}
	sum, _ = os.ReadFile(summary)
	if !bytes.Contains(sum, []byte("VERDICT: EXCLUSIVE")) {
		t.Errorf("the summary holds no report:\n%s", sum)
	}
	data, err := os.ReadFile(filepath.Join(temp, "bindmatrix-audit", "audit.json"))
	if err != nil || !json.Valid(data) {
		t.Errorf("the audit's JSON under RUNNER_TEMP: %v", err)
	}
	if left, _ := os.ReadDir(work); len(left) > 0 {
		t.Errorf("the action wrote %v into the working directory", left)
	}
}
