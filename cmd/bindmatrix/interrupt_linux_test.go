package main

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bindmatrix/bindmatrix/internal/testenv"
)

// The interrupt tests run bindmatrix (this test binary, on PATH) with a
// marker in its environment, which every process it starts inherits, Wine's
// included, and a TMPDIR of their own: what is left after it exits is found
// by the marker and in that directory, never by a program's name.

// markerEnv is the variable the tests mark bindmatrix's processes with.
const markerEnv = "BINDMATRIX_TEST_MARKER"

// interrupted is one bindmatrix started for an interrupt test.
type interruptee struct {
	t      *testing.T
	cmd    *exec.Cmd
	marker string
	tmp    string
	mu     sync.Mutex
	stderr bytes.Buffer
	seen   chan struct{} // closed when stderr has said what start waits for
	ended  chan struct{} // closed when stderr is at its end
}

// startMarked starts bindmatrix with args in dir (the test's own directory
// when ""), with env added to this process's environment, marked, with a
// TMPDIR of its own that another user's helper can reach (so that the copy
// of the binary made for it lands there too).
func startMarked(t *testing.T, dir string, env []string, args ...string) *interruptee {
	t.Helper()
	p := &interruptee{t: t, marker: rand.Text(), tmp: testenv.TempDir(t), seen: make(chan struct{}), ended: make(chan struct{})}
	if err := os.Chmod(p.tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(binaryPath(t), args...)
	p.cmd.Dir = dir
	if dir == "" {
		p.cmd.Dir = testenv.TempDir(t)
	}
	p.cmd.Env = append(append(os.Environ(), env...), "TMPDIR="+p.tmp, markerEnv+"="+p.marker)
	pipe, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		p.cmd.Wait()
		for _, pid := range marked(p.marker) {
			syscall.Kill(pid, syscall.SIGKILL) // this test's own, by its marker
		}
	})
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := pipe.Read(buf)
			p.mu.Lock()
			p.stderr.Write(buf[:n])
			p.mu.Unlock()
			if err != nil {
				close(p.ended)
				return
			}
		}
	}()
	return p
}

func (p *interruptee) stderrText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// waitFor waits until ready says yes, or bindmatrix ends its stderr first
// (a failure: the signal is meant to arrive mid-work).
func (p *interruptee) waitFor(what string, ready func() bool) {
	p.t.Helper()
	for !ready() {
		select {
		case <-p.ended:
			if ready() {
				return
			}
			p.t.Fatalf("bindmatrix %v ended before %s\nstderr:\n%s", p.cmd.Args[1:], what, p.stderrText())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// waitSays waits until stderr holds text.
func (p *interruptee) waitSays(text string) {
	p.t.Helper()
	p.waitFor(fmt.Sprintf("saying %q", text), func() bool { return strings.Contains(p.stderrText(), text) })
}

// end waits for bindmatrix to exit and returns its exit code.
func (p *interruptee) end() int {
	<-p.ended
	p.cmd.Wait()
	return p.cmd.ProcessState.ExitCode()
}

// leftovers fails the test for every marked process still running and
// every entry left in the TMPDIR (but wine-*, wineserver's socket
// directory, which Wine keeps per prefix after every run).
func (p *interruptee) leftovers() {
	p.t.Helper()
	if left := marked(p.marker); len(left) > 0 {
		var lines []string
		for _, pid := range left {
			lines = append(lines, fmt.Sprintf("%d: %s", pid, cmdline(pid)))
		}
		p.t.Errorf("processes left running:\n%s", strings.Join(lines, "\n"))
	}
	entries, _ := os.ReadDir(p.tmp)
	entries = slices.DeleteFunc(entries, func(e os.DirEntry) bool { return strings.HasPrefix(e.Name(), "wine-") })
	if len(entries) > 0 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		p.t.Errorf("%d entries left in its TMPDIR: %v", len(entries), names)
	}
}

// marked lists the processes, other than this one, whose environment holds
// the marker (Linux's /proc).
func marked(marker string) []int {
	want := []byte(markerEnv + "=" + marker + "\x00")
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if !bytes.Contains(env, want) {
			continue
		}
		// A zombie has exited; its parent has yet to reap it.
		if stat, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); bytes.Contains(stat, []byte(") Z ")) {
			continue
		}
		pids = append(pids, pid)
	}
	return pids
}

func cmdline(pid int) string {
	data, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	return strings.TrimSpace(strings.ReplaceAll(string(data), "\x00", " "))
}

// markedRunning says whether a marked process's command line matches.
func markedRunning(marker string, match func(cmdline string) bool) bool {
	return slices.ContainsFunc(marked(marker), func(pid int) bool { return match(strings.ReplaceAll(cmdline(pid), `\`, "/")) })
}

// markedCmdlines are the command lines of the marked processes that match
// (cut short).
func markedCmdlines(marker string, match func(cmdline string) bool) []string {
	var lines []string
	for _, pid := range marked(marker) {
		if l := strings.ReplaceAll(cmdline(pid), `\`, "/"); match(l) {
			lines = append(lines, l[:min(len(l), 100)])
		}
	}
	return lines
}

// slowServer is a server for the audit that says it is up and never
// listens, so that the audit is still waiting for it when the signal
// arrives; ignoreTerm makes it ignore the audit's SIGTERM.
func slowServer(ignoreTerm bool) []string {
	script := `echo slowserver up $$; exec sleep 100000`
	if ignoreTerm {
		script = `trap "" TERM; ` + script
	}
	return []string{"sh", "-c", script}
}

// slowRuntimes makes a repository root whose runtimes/manifest.txt lists
// one server, slowServer, and returns it.
func slowRuntimes(t *testing.T) string {
	root := testenv.TempDir(t)
	dir := filepath.Join(root, "runtimes", "slow")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "up.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho slowserver up $$\nexec sleep 100000\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	manifest := "slow | never listens | slow | go version | 1.0 | - | - | " + script + " {port}\n"
	if err := os.WriteFile(filepath.Join(root, "runtimes", "manifest.txt"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// TestEveryCommandExitsWithItsSignal: SIGINT ends every command with 130
// and SIGTERM with 143 (128 + the signal), mid-work, once what it started
// has stopped: no helper, server or copy of the binary is left. run and
// check once exited 130 on SIGTERM, while audit exited 143.
func TestEveryCommandExitsWithItsSignal(t *testing.T) {
	testenv.SkipIfShort(t, "runs every command until a signal stops it")
	_, err := exec.LookPath("go")
	haveGo := err == nil
	// A soak of a few cells: long enough that the signal arrives mid-run.
	soak := []string{"-repeat", "1000000", "-v", "-only", "proto=tcp,family=ipv4,state=listening"}
	for _, tc := range []struct {
		name  string
		args  []string
		root  func(t *testing.T) string
		ready string // stderr says this once the work is under way
	}{
		{"run", append([]string{"run"}, soak...), nil, " cells"},
		{"check", append([]string{"check"}, soak...), nil, " cells"},
		{"verdict", soak, nil, " cells"},
		{"audit", append([]string{"audit", "-wait", "1h", "--"}, slowServer(false)...), nil, "slowserver up"},
		// A stray in a session of its own holds the output (sshd's
		// per-connection children): the audit waited for it forever.
		{"audit-stray", []string{"audit", "-wait", "1h", "--", "sh", "-c", "setsid sleep 100000 & echo slowserver up $$; exec sleep 100000"}, nil, "slowserver up"},
		{"runtimes", []string{"runtimes", "-wait", "1h"}, slowRuntimes, "slowserver up"},
	} {
		for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
			t.Run(tc.name+"/"+sigName(sig), func(t *testing.T) {
				if tc.name == "runtimes" && !haveGo {
					needed(t, "the go command (the manifest's version line)", "install Go")
				}
				dir := ""
				if tc.root != nil {
					dir = tc.root(t)
				}
				p := startMarked(t, dir, nil, tc.args...)
				p.waitSays(tc.ready)
				p.cmd.Process.Signal(sig)
				if code, want := p.end(), 128+int(sig); code != want {
					t.Errorf("exit code %d after %s, want %d\nstderr:\n%s", code, sigName(sig), want, lastLines(p.stderrText(), 20))
				}
				p.leftovers()
			})
		}
	}
}

func sigName(sig syscall.Signal) string {
	return map[syscall.Signal]string{syscall.SIGINT: "SIGINT", syscall.SIGTERM: "SIGTERM"}[sig]
}

func lastLines(text string, n int) string {
	lines := strings.Split(strings.TrimRight(strings.ReplaceAll(text, "\r", "\n"), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// TestASecondSignalEndsAtOnce: while the first signal's stop waits for a
// server that ignores SIGTERM (it would be killed stopGrace later), a
// second signal ends bindmatrix at once, with the same exit code, saying
// so. The server does not outlive it: its keeper (package procs) kills it
// once bindmatrix is gone. It stayed running before.
func TestASecondSignalEndsAtOnce(t *testing.T) {
	testenv.SkipIfShort(t, "starts a server and interrupts its audit")
	p := startMarked(t, "", nil, append([]string{"audit", "-wait", "1h", "--"}, slowServer(true)...)...)
	p.waitSays("slowserver up")
	server := serverPid(t, p.stderrText())
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.waitSays("stopping what this command started")
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.end(); code != exitTerminated {
		t.Errorf("exit code %d after a second SIGTERM, want %d\nstderr:\n%s", code, exitTerminated, p.stderrText())
	}
	if !strings.Contains(p.stderrText(), "again: exiting now") {
		t.Errorf("bindmatrix did not exit at the second signal\nstderr:\n%s", p.stderrText())
	}
	// A bound on a wait that ends in milliseconds, not a pause.
	for deadline := time.Now().Add(time.Minute); syscall.Kill(server, 0) == nil; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the server (pid %d) outlived bindmatrix by a minute", server)
		}
	}
	p.leftovers()
}

// serverPid reads the pid slowServer printed.
func serverPid(t *testing.T, stderr string) int {
	t.Helper()
	_, after, _ := strings.Cut(stderr, "slowserver up ")
	pid, err := strconv.Atoi(strings.Fields(after + " ")[0])
	if err != nil {
		t.Fatalf("no server pid in %q", stderr)
	}
	return pid
}

// TestInterruptStopsALane sends SIGTERM to a run in a lane once the lane
// has reached a phase: it must exit 143, and leave no process running
// (Wine's process group and server, the services a new prefix starts,
// QEMU, go build) and nothing in its TMPDIR. Wine's phases run as on a new
// machine, with an empty HOME: "build" while the lane builds bindmatrix
// (with an empty build cache too, so that the build takes long enough to
// be seen), "prefix" while it makes its Wine prefix (that once left
// wineserver and two services running), "run" once bindmatrix.exe runs.
func TestInterruptStopsALane(t *testing.T) {
	testenv.SkipIfShort(t, "builds bindmatrix for a lane and interrupts it")
	kernels, _ := filepath.Glob(filepath.Join(os.Getenv("HOME"), ".cache", "bindmatrix", "kernel", "*", "boot", "vmlinuz-*"))
	if k := os.Getenv("BINDMATRIX_KERNEL"); k != "" {
		kernels = []string{k}
	}
	gomodcache, _ := exec.Command("go", "env", "GOMODCACHE").Output()
	// A new machine's HOME, and the modules already downloaded.
	newHome := func(t *testing.T, freshCache bool) []string {
		home := testenv.TempDir(t)
		env := []string{"HOME=" + home, "GOMODCACHE=" + strings.TrimSpace(string(gomodcache)), "GOFLAGS=-buildvcs=false"}
		if freshCache {
			env = append(env, "GOCACHE="+filepath.Join(home, "go-build"))
		}
		return env
	}
	isBuild := func(l string) bool { return strings.HasPrefix(l, "go build") || strings.Contains(l, "/compile ") }
	hasWine := hasProgram("wine64") || hasProgram("wine")
	for _, tc := range []struct {
		lane, phase string
		args        []string
		env         func(t *testing.T) []string
		up          func(cmdline string) bool
		ok          bool
		what        string
	}{
		{"qemu", "run", []string{"-kernel", firstOf(kernels)}, nil,
			func(l string) bool { return strings.Contains(l, "qemu-system") }, hasProgram("qemu-system-x86_64") && len(kernels) > 0, "QEMU and a kernel (scripts/fetch-kernel.sh)"},
		// Once the build compiles: its work directory exists then.
		{"wine", "build", nil, func(t *testing.T) []string { return newHome(t, true) },
			func(l string) bool { return strings.Contains(l, "/compile -o ") }, hasWine, "Wine"},
		{"wine", "prefix", nil, func(t *testing.T) []string { return newHome(t, false) },
			func(l string) bool { return strings.Contains(l, "wineboot") }, hasWine, "Wine"},
		{"wine", "run", nil, func(t *testing.T) []string { return newHome(t, false) },
			func(l string) bool { return !isBuild(l) && strings.Contains(l, "bindmatrix.exe run") }, hasWine, "Wine"},
	} {
		t.Run(tc.lane+"/"+tc.phase, func(t *testing.T) {
			if !tc.ok {
				needed(t, tc.what, "apt-get install -y qemu-system-x86 wine64 gcc-mingw-w64-x86-64")
			}
			var env []string
			if tc.env != nil {
				env = tc.env(t)
			}
			// The lanes build bindmatrix from the repository.
			p := startMarked(t, filepath.Join("..", ".."), env, append([]string{"run", "-under", tc.lane, "-json"}, tc.args...)...)
			p.waitFor("the lane's "+tc.phase, func() bool { return markedRunning(p.marker, tc.up) })
			t.Logf("SIGTERM while %s runs", strings.Join(markedCmdlines(p.marker, tc.up), "; "))
			p.cmd.Process.Signal(syscall.SIGTERM)
			if code := p.end(); code != exitTerminated {
				t.Errorf("exit code %d after SIGTERM, want %d\n%s", code, exitTerminated, p.stderrText())
			}
			p.leftovers()
		})
	}
}

// TestInterruptStopsAWineAudit: SIGTERM to an audit, or the runtimes'
// audits, under Wine once the audited server runs stops everything: the
// Wine processes (the server has a session of its own there, out of the
// process group), and no server starts again. Both once left bindmatrix.exe,
// wineserver and the server running, and the inner audit restarted it.
func TestInterruptStopsAWineAudit(t *testing.T) {
	testenv.SkipIfShort(t, "audits a server under Wine and interrupts it")
	if !hasProgram("wine64") && !hasProgram("wine") {
		needed(t, "Wine", "apt-get install -y wine64 gcc-mingw-w64-x86-64")
	}
	repo, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	server := filepath.Join(testenv.TempDir(t), "goserver.exe")
	build := exec.Command("go", "build", "-o", server, ".")
	build.Dir = filepath.Join(repo, "runtimes", "go")
	build.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the Go reference server for Windows: %v\n%s", err, out)
	}
	port := freeTCPPort(t)
	for _, tc := range []struct {
		name string
		args []string
		up   string // the server's Windows command line starts so
	}{
		{"audit", []string{"audit", "-under", "wine", "-restart", "--", server, port}, "Z:" + server},
		{"runtimes", []string{"runtimes", "-under", "wine", "-only", "go-net-listen", "-o", testenv.TempDir(t)}, "Z:/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := startMarked(t, repo, nil, tc.args...)
			p.waitFor("the audited server under Wine", func() bool {
				return markedRunning(p.marker, func(l string) bool { return strings.HasPrefix(l, tc.up) && strings.Contains(l, "server.exe") })
			})
			p.cmd.Process.Signal(syscall.SIGTERM)
			if code := p.end(); code != exitTerminated {
				t.Errorf("exit code %d after SIGTERM, want %d\n%s", code, exitTerminated, p.stderrText())
			}
			p.leftovers()
		})
	}
}

func freeTCPPort(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return strconv.Itoa(sa.(*syscall.SockaddrInet4).Port)
}

func firstOf(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func hasProgram(name string) bool {
	_, err := exec.LookPath(name)
	return err == nil
}
