package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bindmatrix/bindmatrix/internal/sock"
	"github.com/bindmatrix/bindmatrix/internal/testenv"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// These tests run the command in surroundings a script cannot make (two at
// once, a network namespace, no /proc). binaryPath is the command that
// testscript.Main installed on PATH: this test binary, as bindmatrix.
func binaryPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("bindmatrix")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

type result struct {
	code           int
	stdout, stderr string
}

func bindmatrix(t *testing.T, args ...string) result {
	t.Helper()
	cmd := exec.Command(binaryPath(t), args...)
	cmd.Dir = testenv.TempDir(t)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("bindmatrix %v: %v", args, err)
	}
	return result{cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()}
}

// TestTwoChecksAtOnce starts two `bindmatrix check` processes at the same
// moment on this machine: each must get the right answer for every cell,
// although the other one is binding ports beside it all the time.
func TestTwoChecksAtOnce(t *testing.T) {
	testenv.SkipIfShort(t, "runs the whole matrix twice at once")
	binary := binaryPath(t)
	const processes = 2
	cmds := make([]*exec.Cmd, processes)
	outs := make([][2]bytes.Buffer, processes)
	for i := range cmds {
		cmds[i] = exec.Command(binary, "check")
		cmds[i].Dir = testenv.TempDir(t)
		cmds[i].Stdout, cmds[i].Stderr = &outs[i][0], &outs[i][1]
	}
	// Start both before waiting for either, so that they overlap from
	// their first cell.
	for i, cmd := range cmds {
		if err := cmd.Start(); err != nil {
			t.Fatalf("starting check %d: %v", i+1, err)
		}
	}
	for i, cmd := range cmds {
		err := cmd.Wait()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatalf("check %d: %v", i+1, err)
		}
		r := result{cmd.ProcessState.ExitCode(), outs[i][0].String(), outs[i][1].String()}
		if r.code != exitAgree {
			t.Errorf("check %d of %d started together: exit code %d, want %d\n%s\nstderr:\n%s",
				i+1, processes, r.code, exitAgree, notAgreeing(r.stdout), r.stderr)
		}
	}
}

// notAgreeing keeps the lines of a text comparison that explain a verdict
// other than agree: the differences, the unreached cells (a line naming a
// cell, proto/...) and the verdict.
func notAgreeing(stdout string) string {
	var keep []string
	for _, l := range strings.Split(stdout, "\n") {
		namesCell := false
		for _, p := range matrix.Protos() {
			namesCell = namesCell || strings.HasPrefix(strings.TrimSpace(l), p.String()+"/")
		}
		if namesCell || strings.HasPrefix(l, "DIFF ") || strings.Contains(l, "unreached") || strings.HasPrefix(l, "VERDICT") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// TestPortExhaustionIsIncompleteNotWrong runs the binary in a network
// namespace of its own with almost no ephemeral ports. Cells that cannot get
// the ports they need must come out unreached with the reason, the run must
// go on, and check must call the result incomplete (exit 3), never a
// difference (1) or bad input (2).
func TestPortExhaustionIsIncompleteNotWrong(t *testing.T) {
	inNetns := isolatedNetwork(t)
	binary := binaryPath(t)
	for _, tc := range []struct {
		name     string
		ports    string // net.ipv4.ip_local_port_range in the namespace
		reserved string // net.ipv4.ip_local_reserved_ports: taken out of the range
		only     string
		// allUnreached: every cell that makes a socket must be unreached;
		// someUnreached: at least one must be.
		allUnreached, someUnreached bool
	}{
		// Two ports for the whole run: whatever runs out is unreached.
		{name: "two ephemeral ports", ports: "40000 40001", only: "state=bound,family=ipv4"},
		// No port connect() may hand out at all: a cell's own ports lie
		// outside the range, but its connections need one.
		{name: "no ephemeral port", ports: "40000 40001", reserved: "40000-40001",
			only: "state=time_wait,family=ipv4", allUnreached: true, someUnreached: true},
		// Two SO_REUSEPORT listeners share a port; the delivery check needs
		// a client port per connection it sends and cannot have them.
		{name: "too few ports to check delivery", ports: "40000 40001",
			only: "proto=tcp,family=ipv4,state=listening,first=SO_REUSEPORT,second=SO_REUSEPORT", someUnreached: true},
	} {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			only := tc.only
			if slices.Contains(matrix.FieldNames(), "process") {
				only += ",process=same"
			}
			script := `ip link set lo up &&
				echo "$1" > /proc/sys/net/ipv4/ip_local_port_range &&
				echo "$2" > /proc/sys/net/ipv4/ip_local_reserved_ports &&
				exec "$3" run -json -only "$4"`
			cmd := exec.Command(inNetns[0], append(inNetns[1:], "sh", "-c", script, "sh", tc.ports, tc.reserved, binary, only)...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			if err != nil && !errors.As(err, &exit) {
				t.Fatalf("%v: %v", cmd.Args, err)
			}
			runCode := cmd.ProcessState.ExitCode()
			file := filepath.Join(testenv.TempDir(t), "exhausted.json")
			if err := os.WriteFile(file, stdout.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			obs, err := matrix.DecodeObservation(file, stdout.Bytes())
			if err != nil {
				t.Fatalf("the run's output does not decode: %v", err)
			}
			unreached := 0
			for _, r := range obs.Cells {
				switch {
				case r.Outcome == matrix.Unreached && r.Note == "":
					t.Errorf("%s: unreached without a reason", r.Cell)
				case r.Outcome == matrix.Unreached:
					unreached++
				case tc.allUnreached && r.Outcome != matrix.Unsupported:
					t.Errorf("%s: %s with no ephemeral port to be had (witness %q, note %q), want unreached",
						r.Cell, r.Outcome, r.Witness, r.Note)
				}
			}
			if tc.someUnreached && unreached == 0 {
				t.Errorf("no cell unreached, although ports ran out")
			}
			// run prints the observation either way; its exit code says
			// whether it is complete.
			if wantRun := map[bool]int{false: exitAgree, true: exitIncomplete}[unreached > 0]; runCode != wantRun {
				t.Errorf("run with %d cells unreached: exit code %d, want %d\nstderr:\n%s", unreached, runCode, wantRun, stderr.String())
			}
			t.Logf("%d of %d cells unreached", unreached, len(obs.Cells))

			want := exitAgree
			if unreached > 0 {
				want = exitIncomplete
			}
			c := bindmatrix(t, "check", "-observed", file)
			if c.code != want {
				t.Errorf("check -observed on a run that ran out of ports (%d cells unreached): exit code %d, want %d\n%s\nstderr:\n%s",
					unreached, c.code, want, notAgreeing(c.stdout), c.stderr)
			}
		})
	}
}

// interloper is another program of the same user that binds loopback
// ports the kernel picks, with SO_REUSEADDR and SO_REUSEPORT, and holds
// about 50 at a time, replacing one every millisecond, until it is killed.
// On Linux such a socket on a cell's port lets a SO_REUSEPORT bind pass
// the cell's TIME_WAIT entry.
func interloper() {
	var held []sock.Socket
	for {
		s, err := sock.Open(matrix.SockIPv4, matrix.TCP)
		if err == nil && s.SetOption(matrix.ReuseAddr) == nil && s.SetOption(matrix.ReusePort) == nil &&
			s.Bind(sock.Addr(matrix.SockIPv4, matrix.Specific, 0)) == nil {
			held = append(held, s)
		} else if err == nil {
			s.Close()
		}
		if len(held) > 50 {
			held[0].Close()
			held = held[1:]
		}
		time.Sleep(time.Millisecond)
	}
}

// TestBusyNeighboursNeverMakeAWrongVerdict runs the whole default matrix
// in a network namespace beside what used to make it wrong: a narrow
// ephemeral range as an unprivileged user (another cell's connect() took a
// closed cell's port), and a same-user program binding SO_REUSEADDR and
// SO_REUSEPORT sockets on ports the kernel picks (one on a time_wait
// cell's port let the SO_REUSEPORT bind pass). A cell may come out
// unreached with its reason; check must never see a difference.
func TestBusyNeighboursNeverMakeAWrongVerdict(t *testing.T) {
	testenv.SkipIfShort(t, "runs the whole matrix twice beside busy neighbours")
	inNetns := isolatedNetwork(t)
	dir := testenv.TempDir(t)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	binary := filepath.Join(dir, "bindmatrix")
	copyFile(t, binaryPath(t), binary)
	interloperExe, err := exec.LookPath("interloper")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, ports, as string
		interloper      bool
	}{
		{name: "300 ephemeral ports, as nobody", ports: "40000 40299", as: "nobody"},
		{name: "a same-user interloper", ports: "40000 40999", interloper: true},
	} {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			if tc.as != "" && os.Geteuid() != 0 {
				needed(t, "root (to run the matrix as "+tc.as+")", "run the tests as root")
			}
			for run := range 2 {
				script := `ip link set lo up && echo "$1" > /proc/sys/net/ipv4/ip_local_port_range || exit 9
					if [ -n "$4" ]; then "$4" & pid=$!; fi
					if [ -n "$3" ]; then setpriv --reuid="$3" --regid=nogroup --clear-groups "$2" run -json; else "$2" run -json; fi
					code=$?
					[ -n "$4" ] && kill $pid
					exit $code`
				interloperArg := ""
				if tc.interloper {
					interloperArg = interloperExe
				}
				cmd := exec.Command(inNetns[0], append(inNetns[1:], "sh", "-c", script, "sh", tc.ports, binary, tc.as, interloperArg)...)
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				cmd.Run()
				if code := cmd.ProcessState.ExitCode(); code != exitAgree && code != exitIncomplete {
					t.Fatalf("run %d: exit code %d\n%s", run, code, stderr.String())
				}
				file := filepath.Join(dir, fmt.Sprintf("busy-%d.json", run))
				if err := os.WriteFile(file, stdout.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				c := bindmatrix(t, "check", "-observed", file)
				if c.code != exitAgree && c.code != exitIncomplete {
					t.Fatalf("run %d: check exit code %d, want %d or %d: a wrong verdict\n%s", run, c.code, exitAgree, exitIncomplete, notAgreeing(c.stdout))
				}
				t.Logf("run %d: check exit %d", run, c.code)
			}
		})
	}
}

// copyFile copies an executable where another user may run it.
func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

// isolatedNetwork returns the command prefix that runs a program in a new
// network namespace, where this test may change the port range without
// touching the machine's: `unshare --net` as root, or inside a new user
// namespace otherwise. Where neither works the test is skipped, saying
// why; in CI (CI=true), where .ci/run runs as root, that is a failure.
func isolatedNetwork(t *testing.T) []string {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("network namespaces are Linux's")
	}
	var missing []string
	for _, tool := range []string{"unshare", "ip", "sh"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) > 0 {
		needed(t, fmt.Sprintf("%s (util-linux, iproute2)", strings.Join(missing, ", ")), "apt-get install util-linux iproute2")
		return nil
	}
	var tried []string
	for _, prefix := range [][]string{{"unshare", "--net"}, {"unshare", "--user", "--map-root-user", "--net"}} {
		if prefix[1] == "--net" && os.Geteuid() != 0 {
			continue
		}
		out, err := exec.Command(prefix[0], append(prefix[1:], "sh", "-c",
			"ip link set lo up && echo '40000 40001' > /proc/sys/net/ipv4/ip_local_port_range")...).CombinedOutput()
		if err == nil {
			return prefix
		}
		tried = append(tried, fmt.Sprintf("%s: %v %s", strings.Join(prefix, " "), err, bytes.TrimSpace(out)))
	}
	needed(t, "a network namespace of the test's own (root, or unprivileged user namespaces) ["+strings.Join(tried, "; ")+"]",
		"run the tests as root")
	return nil
}

// needed skips a test whose prerequisite is missing, or fails it where every
// prerequisite is required (testenv.RequireAll).
func needed(t *testing.T, what, how string) {
	t.Helper()
	testenv.Need(t, false, what, how)
}

// TestRunWithoutProc: the Linux witness asks sock_diag and needs no /proc;
// forced onto /proc/net/tcp with /proc gone, the cells that need a witness
// are unreached with the reason and the run is incomplete (exit 3).
func TestRunWithoutProc(t *testing.T) {
	binary := binaryPath(t)
	unshare, err := exec.LookPath("unshare")
	testenv.Need(t, err == nil && os.Geteuid() == 0, "unshare and root (for a mount namespace without /proc)", "run the tests as root on Linux")
	for _, tc := range []struct {
		witness string
		code    int
		says    string
	}{
		{"", exitAgree, "VERDICT: AGREE"},
		{"proc", exitIncomplete, "/proc/net/tcp"},
	} {
		t.Run("witness="+tc.witness, func(t *testing.T) {
			cmd := exec.Command(unshare, "--mount", "--propagation", "private", "sh", "-c",
				`mount -t tmpfs none /proc && exec "$0" -only proto=tcp,family=ipv4,process=same,process=other`, binary)
			cmd.Env = append(os.Environ(), "BINDMATRIX_WITNESS="+tc.witness)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			cmd.Run()
			if code := cmd.ProcessState.ExitCode(); code != tc.code || !strings.Contains(stdout.String(), tc.says) {
				t.Errorf("without /proc, witness %q: exit %d, want %d saying %q\nstdout:\n%s\nstderr:\n%s",
					tc.witness, code, tc.code, tc.says, stdout.String(), stderr.String())
			}
		})
	}
}
