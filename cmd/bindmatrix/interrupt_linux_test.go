package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bindmatrix/bindmatrix/internal/testenv"
)

// TestInterruptStopsALane sends SIGTERM to a run in a lane once the lane's
// processes are up: it must exit 130, and leave no process running from
// its temporary directory (Wine's whole process group, QEMU) and nothing
// in that directory.
func TestInterruptStopsALane(t *testing.T) {
	testenv.SkipIfShort(t, "starts the Wine and QEMU lanes to interrupt them")
	binary := binaryPath(t)
	kernels, _ := filepath.Glob(filepath.Join(os.Getenv("HOME"), ".cache", "bindmatrix", "kernel", "*", "boot", "vmlinuz-*"))
	if k := os.Getenv("BINDMATRIX_KERNEL"); k != "" {
		kernels = []string{k}
	}
	for _, tc := range []struct {
		lane, up string // up: what the command line of the lane's main process holds
		args     []string
		ok       bool
		what     string
	}{
		{"qemu", "qemu-system", []string{"-kernel", firstOf(kernels)}, hasProgram("qemu-system-x86_64") && len(kernels) > 0, "QEMU and a kernel (scripts/fetch-kernel.sh)"},
		{"wine", "bindmatrix.exe", nil, hasProgram("wine64") || hasProgram("wine"), "Wine"},
	} {
		t.Run(tc.lane, func(t *testing.T) {
			if !tc.ok {
				needed(t, tc.what, "apt-get install -y qemu-system-x86 wine64 gcc-mingw-w64-x86-64")
			}
			tmp := testenv.TempDir(t)
			cmd := exec.Command(binary, append([]string{"run", "-under", tc.lane, "-json"}, tc.args...)...)
			cmd.Dir = filepath.Join("..", "..") // the lanes build bindmatrix from the repository
			cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// The lane is up once its QEMU or Wine process runs.
			deadline := time.Now().Add(2 * time.Minute)
			for len(processesUsing(tmp, tc.up)) == 0 {
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatalf("no process of the lane appeared\n%s", stderr.String())
				}
				time.Sleep(50 * time.Millisecond)
			}
			cmd.Process.Signal(syscall.SIGTERM)
			cmd.Wait()
			if code := cmd.ProcessState.ExitCode(); code != exitInterrupted {
				t.Errorf("exit code %d after SIGTERM, want %d\n%s", code, exitInterrupted, stderr.String())
			}
			if left := processesUsing(tmp, ""); len(left) > 0 {
				t.Errorf("processes left running: %v", left)
				for _, pid := range left {
					syscall.Kill(pid, syscall.SIGKILL)
				}
			}
			entries, _ := os.ReadDir(tmp)
			// wine-HASH is wineserver's socket directory, which Wine keeps
			// per prefix after every run, interrupted or not.
			entries = slices.DeleteFunc(entries, func(e os.DirEntry) bool { return strings.HasPrefix(e.Name(), "wine-") })
			if len(entries) > 0 {
				t.Errorf("%d entries left in the temporary directory: %v", len(entries), entries)
			}
		})
	}
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

// processesUsing lists the processes whose command line names a file
// under dir and holds also (Linux's /proc).
func processesUsing(dir, also string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		line := strings.ReplaceAll(string(cmdline), `\`, "/")
		if strings.Contains(line, dir) && strings.Contains(line, also) {
			pids = append(pids, pid)
		}
	}
	return pids
}
