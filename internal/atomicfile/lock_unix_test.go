//go:build unix

package atomicfile

import (
	"bufio"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bindmatrix/bindmatrix/internal/reexec"

	"github.com/bindmatrix/bindmatrix/internal/testenv"
)

// holdLock is a process that takes the lock named by its argument, says
// so, and holds it until its input ends.
var holdLock = reexec.Role{Name: "hold-lock", Main: func() int {
	unlock, err := Lock(os.Args[1])
	if err != nil {
		return 1
	}
	os.Stdout.WriteString("locked\n")
	bufio.NewReader(os.Stdin).ReadString('\n')
	unlock()
	return 0
}}

func TestMain(m *testing.M) {
	reexec.Main(holdLock)
	os.Exit(m.Run())
}

// TestLockExcludesOtherProcesses: while another process holds the lock, the
// kernel says so; once it is gone, the lock is free for this one.
func TestLockExcludesOtherProcesses(t *testing.T) {
	file := filepath.Join(testenv.TempDir(t), "lock")
	self, err := reexec.Self()
	if err != nil {
		t.Fatal(err)
	}
	cmd := reexec.Command(self, "hold-lock", file)
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "locked\n" {
		t.Fatalf("the holder said %q, %v", line, err)
	}
	f, err := os.OpenFile(file, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	probe := unix.Flock_t{Type: unix.F_WRLCK}
	if err := unix.FcntlFlock(f.Fd(), unix.F_GETLK, &probe); err != nil {
		t.Fatal(err)
	}
	if probe.Type != unix.F_WRLCK || int(probe.Pid) != cmd.Process.Pid {
		t.Errorf("while process %d holds the lock, the kernel reports type %d held by %d", cmd.Process.Pid, probe.Type, probe.Pid)
	}
	in.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	unlock, err := Lock(file)
	if err != nil {
		t.Fatal(err)
	}
	unlock()
}
