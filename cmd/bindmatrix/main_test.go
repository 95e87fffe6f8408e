package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bindmatrix/bindmatrix/internal/testenv"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// The command is tested as a user meets it: a built binary, its exit code,
// its stdout and stderr.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "bindmatrix-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	binary = filepath.Join(dir, "bindmatrix")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building bindmatrix: %v\n%s", err, out)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

func bindmatrix(t *testing.T, dir string, args ...string) result {
	t.Helper()
	testenv.TrackSources(repoRoot(t)) // the binary was built from these
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("bindmatrix %v: %v", args, err)
	}
	return result{cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()}
}

func (r result) want(t *testing.T, code int, stdout, stderr string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, stdout) {
		t.Errorf("stdout lacks %q:\n%s", stdout, r.stdout)
	}
	if !strings.Contains(r.stderr, stderr) {
		t.Errorf("stderr lacks %q:\n%s", stderr, r.stderr)
	}
}

// repoRoot is where accept finds matrix/expected.
func repoRoot(t *testing.T) string {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// observe runs the matrix here once and returns the JSON file it wrote.
func observe(t *testing.T, args ...string) string {
	t.Helper()
	r := bindmatrix(t, t.TempDir(), append([]string{"run", "-json"}, args...)...)
	r.want(t, exitAgree, `"schema":1`, "")
	file := filepath.Join(t.TempDir(), "observed.json")
	if err := os.WriteFile(file, []byte(r.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

func TestVerdictAgreesHere(t *testing.T) {
	bindmatrix(t, t.TempDir()).want(t, exitAgree, "VERDICT: AGREE (all 2368 compared cells", "")
}

func TestRunJSONHasEveryCellWithEvidence(t *testing.T) {
	data, err := os.ReadFile(observe(t))
	if err != nil {
		t.Fatal(err)
	}
	obs, err := matrix.DecodeObservation("run -json", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(obs.Cells) != len(matrix.AllCells()) {
		t.Fatalf("%d cells, want %d", len(obs.Cells), len(matrix.AllCells()))
	}
	tcp := 0
	for _, r := range obs.Cells {
		if r.Proto == matrix.TCP && r.Process == matrix.SameProcess && r.Family != matrix.Dual {
			tcp++
		}
	}
	if tcp != 640 {
		t.Errorf("%d classic TCP cells, want 640", tcp)
	}
	for _, r := range obs.Cells {
		if r.Witness == "" && r.Outcome != matrix.Unreached {
			t.Errorf("%s: outcome %s without a witness", r.Cell, r.Outcome)
		}
		if r.Outcome == matrix.Unreached && r.Note == "" {
			t.Errorf("%s: unreached without a reason", r.Cell)
		}
	}
	// The field names are a contract: check them on the raw JSON too.
	var raw struct {
		Cells []map[string]any `json:"cells"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"proto", "family", "first_addr", "second_addr", "state", "first", "second", "process", "outcome", "native", "witness", "note"} {
		if _, ok := raw.Cells[0][key]; !ok {
			t.Errorf("cell JSON lacks %q: %v", key, raw.Cells[0])
		}
	}
}

func TestRunOnly(t *testing.T) {
	r := bindmatrix(t, t.TempDir(), "run", "-json", "-only", "proto=tcp,state=listening,family=ipv6")
	r.want(t, exitAgree, `"state":"listening"`, "")
	if n := strings.Count(r.stdout, `"outcome"`); n != 64 {
		t.Errorf("-only selected %d cells, want 64", n)
	}
	bindmatrix(t, t.TempDir(), "run", "-only", "colour=red").want(t, exitBadInput, "", `unknown filter key "colour" (valid: proto, process, family, first_family, second_family, first_addr`)
	bindmatrix(t, t.TempDir(), "run", "-only", "first=reuseaddr").want(t, exitBadInput, "", `unknown option "reuseaddr" (valid: none, SO_REUSEADDR`)
	bindmatrix(t, t.TempDir(), "run", "-only", "state=listening").want(t, exitAgree, "tcp ipv4 listening: first specific, second specific", "")
	bindmatrix(t, t.TempDir(), "run", "-only", "proto=udp,state=listening").want(t, exitBadInput, "", "selects no cells")
	// delivery filters results: only cells whose traffic was shared.
	r = bindmatrix(t, t.TempDir(), "run", "-json", "-only", "delivery=both")
	r.want(t, exitAgree, `"delivery":"both"`, "")
	if strings.Contains(r.stdout, `"delivery":"first"`) || strings.Contains(r.stdout, `"delivery":"second"`) {
		t.Errorf("-only delivery=both kept cells with another delivery")
	}
}

func TestCheckObservedFile(t *testing.T) {
	file := observe(t)
	bindmatrix(t, t.TempDir(), "check", "-observed", file).want(t, exitAgree, "VERDICT: AGREE", "")

	// Flip one cell: check must find it, say where, and exit 1.
	data, _ := os.ReadFile(file)
	line := strings.Split(string(data), "\n")[1] // line 1 is the header, each cell has its own line
	flipped := strings.Replace(line, `"outcome":"bind:EADDRINUSE"`, `"outcome":"ok"`, 1)
	if flipped == line {
		flipped = strings.Replace(line, `"outcome":"ok"`, `"outcome":"bind:EADDRINUSE"`, 1)
	}
	if flipped == line {
		t.Fatalf("first cell line has neither outcome to flip: %s", line)
	}
	bad := filepath.Join(t.TempDir(), "flipped.json")
	os.WriteFile(bad, []byte(strings.Replace(string(data), line, flipped, 1)), 0o644)
	r := bindmatrix(t, t.TempDir(), "check", "-observed", bad)
	r.want(t, exitDiffer, "DIFF tcp/ipv4/bound/specific-specific/none-none: expected bind:EADDRINUSE (matrix/expected/linux.txt:", "")
	r.want(t, exitDiffer, "VERDICT: DIFFER (1 cell differ", "")

	for _, format := range []string{"markdown", "json", "junit"} {
		bindmatrix(t, t.TempDir(), "check", "-observed", bad, "-format", format).want(t, exitDiffer, "tcp/ipv4/bound/specific-specific/none-none", "")
	}
	bindmatrix(t, t.TempDir(), "check", "-observed", bad, "-format", "html").want(t, exitBadInput, "", "unknown format")
}

func TestCheckRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bindmatrix(t, dir, "check", "-observed", write("broken.json", "{\"schema\":1,\n\"cells\":[ oops")).
		want(t, exitBadInput, "", "broken.json:2:")
	bindmatrix(t, dir, "check", "-observed", filepath.Join(dir, "absent.json")).
		want(t, exitBadInput, "", "absent.json")

	// A corrupt expected table: exit 2 naming file:line, and nothing else
	// written or changed.
	expected := filepath.Join(dir, "expected")
	os.Mkdir(expected, 0o755)
	table, _ := os.ReadFile(filepath.Join(repoRoot(t), "matrix/expected/linux.txt"))
	lines := strings.Split(string(table), "\n")
	n := 1 + slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "tcp ") }) + 3 // the fourth cell
	lines[n-1] = strings.Replace(lines[n-1], "tcp ", "tcq ", 1)
	corrupt := strings.Join(lines, "\n")
	os.WriteFile(filepath.Join(expected, "linux.txt"), []byte(corrupt), 0o644)
	file := observe(t, "-only", "state=bound")
	bindmatrix(t, dir, "check", "-observed", file, "-expected", expected).
		want(t, exitBadInput, "", fmt.Sprintf("linux.txt:%d:1: column 1 (proto): unknown proto \"tcq\"", n))
	bindmatrix(t, dir, "accept", "-observed", file, "-expected", expected).
		want(t, exitBadInput, "", fmt.Sprintf("linux.txt:%d:", n))
	if after, _ := os.ReadFile(filepath.Join(expected, "linux.txt")); string(after) != corrupt {
		t.Errorf("a refused accept changed the table")
	}
}

func TestAcceptWritesTheTableKeepingComments(t *testing.T) {
	expected := filepath.Join(t.TempDir(), "matrix", "expected")
	os.MkdirAll(expected, 0o755)
	orig, _ := os.ReadFile(filepath.Join(repoRoot(t), "matrix/expected/linux.txt"))
	os.WriteFile(filepath.Join(expected, "linux.txt"), orig, 0o644)

	file := observe(t)
	bindmatrix(t, filepath.Dir(filepath.Dir(expected)), "accept", "-observed", file).
		want(t, exitAgree, "wrote matrix/expected/linux.txt: 2368 cells", "")
	got, _ := os.ReadFile(filepath.Join(expected, "linux.txt"))
	// Same outcomes and comments; only the provenance line may change.
	strip := func(b []byte) string {
		var keep []string
		for _, l := range strings.Split(string(b), "\n") {
			if !strings.HasPrefix(l, "provenance ") {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "\n")
	}
	if strip(got) != strip(orig) {
		t.Errorf("accept of an agreeing run changed more than the provenance")
	}

	// No table yet: accept creates one, complete and parseable.
	os.Remove(filepath.Join(expected, "linux.txt"))
	bindmatrix(t, filepath.Dir(filepath.Dir(expected)), "accept", "-observed", file).want(t, exitAgree, "wrote", "")
	if _, err := matrix.LoadTable(os.DirFS(expected), expected, "linux"); err != nil {
		t.Errorf("accepted table does not load: %v", err)
	}
	if st, _ := os.Stat(filepath.Join(expected, "linux.txt")); st.Mode().Perm() != 0o644 {
		t.Errorf("accepted table has mode %v, want 0644 like any checked-in file", st.Mode().Perm())
	}
	bindmatrix(t, t.TempDir(), "accept", "-observed", file).want(t, exitBadInput, "", "run from the repository root")
}

func TestUsage(t *testing.T) {
	r := bindmatrix(t, t.TempDir(), "-h")
	r.want(t, exitAgree, "", "Exit codes")
	bindmatrix(t, t.TempDir(), "help").want(t, exitAgree, "3  incomplete", "")
	bindmatrix(t, t.TempDir(), "check", "-h").want(t, exitAgree, "", "-observed FILE")
	bindmatrix(t, t.TempDir(), "frobnicate").want(t, exitBadInput, "", `unknown command "frobnicate"`)
	bindmatrix(t, t.TempDir(), "run", "-nosuchflag").want(t, exitBadInput, "", "flag provided but not defined")
	bindmatrix(t, t.TempDir(), "run", "-under", "vmware").want(t, exitBadInput, "", `unknown lane "vmware"`)
}

// TestIncompleteRunExits3: cells whose state cannot be proven make the run
// incomplete, which is not the same as a difference.
func TestIncompleteRunExits3(t *testing.T) {
	t.Setenv("BINDMATRIX_WITNESS", "none") // no way to read the TCP table
	r := bindmatrix(t, t.TempDir(), "-only", "proto=tcp,family=ipv4,process=same")
	r.want(t, exitIncomplete, "VERDICT: INCOMPLETE", "")
	r.want(t, exitIncomplete, "tcp/ipv4/time_wait/specific-specific/none-none: cannot prove time_wait", "")
	bindmatrix(t, t.TempDir(), "accept", "-expected", t.TempDir(), "-only", "state=time_wait").
		want(t, exitIncomplete, "", "unreached cells have no expectation yet")
	// run prints what it saw, and says it is incomplete.
	bindmatrix(t, t.TempDir(), "run", "-json", "-only", "state=time_wait,family=ipv4,process=same").
		want(t, exitIncomplete, `"outcome":"unreached"`, "")
}

// TestNothingComparedIsNotAgreement: a comparison left with no cell to
// compare is incomplete, and a filter that keeps nothing is bad input.
func TestNothingComparedIsNotAgreement(t *testing.T) {
	file := observe(t, "-only", "proto=tcp,state=bound,family=ipv4,process=same")
	bindmatrix(t, t.TempDir(), "check", "-observed", file, "-only", "state=listening").
		want(t, exitBadInput, "", "keeps none of the")
	expected := t.TempDir()
	os.WriteFile(filepath.Join(expected, "linux.txt"), []byte("platform linux\nprovenance documented nothing\nscope proto=udp\n"), 0o644)
	f, _ := matrix.ParseFilter("proto=udp")
	var table strings.Builder
	table.WriteString("platform linux\nprovenance documented nothing\nscope proto=udp\n")
	for _, c := range f.Cells() {
		fmt.Fprintf(&table, "%s %s %s %s %s %s %s ok", c.Proto, c.Family, c.State, c.FirstAddr, c.SecondAddr, c.First, c.Second)
		if c.Family == matrix.Dual {
			fmt.Fprintf(&table, " first_family=%s second_family=%s", c.FirstFamily, c.SecondFamily)
		}
		table.WriteString("\n")
	}
	os.WriteFile(filepath.Join(expected, "linux.txt"), []byte(table.String()), 0o644)
	bindmatrix(t, t.TempDir(), "check", "-observed", file, "-expected", expected).
		want(t, exitIncomplete, "VERDICT: INCOMPLETE (no cell had an expectation", "")
	bindmatrix(t, t.TempDir(), "check", "-observed", file, "-under", "wine").
		want(t, exitBadInput, "", "-observed reads a file")
	bindmatrix(t, t.TempDir(), "run", "-parallel", "-1").want(t, exitBadInput, "", "-parallel -1")
}

// TestAcceptRespectsATableScope: accepting a run into a documented table
// with a scope takes the cells it covers and says what it left out.
func TestAcceptRespectsATableScope(t *testing.T) {
	root := t.TempDir()
	expected := filepath.Join(root, "matrix", "expected")
	os.MkdirAll(expected, 0o755)
	table := "platform linux\nprovenance documented a test\nscope proto=tcp,process=same,family=ipv4,family=ipv6\n"
	f, _ := matrix.ParseFilter("proto=tcp,process=same,family=ipv4,family=ipv6")
	for _, c := range f.Cells() {
		table += fmt.Sprintf("%s %s %s %s %s %s %s unknown # not known\n", c.Proto, c.Family, c.State, c.FirstAddr, c.SecondAddr, c.First, c.Second)
	}
	os.WriteFile(filepath.Join(expected, "linux.txt"), []byte(table), 0o644)
	file := observe(t, "-only", "state=bound")
	r := bindmatrix(t, root, "accept", "-observed", file)
	r.want(t, exitAgree, "wrote matrix/expected/linux.txt: 128 cells", "")
	r.want(t, exitAgree, "cells outside the table's scope", "")
	got, _ := os.ReadFile(filepath.Join(expected, "linux.txt"))
	if !strings.Contains(string(got), "bind:EADDRINUSE  # documented: unknown not known") {
		t.Errorf("an accepted cell lost what the docs said:\n%.600s", got)
	}
}
