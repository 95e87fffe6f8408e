//go:build unix

package lane

import (
	"context"
	"os/exec"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// inOwnProcessGroup makes cmd the leader of a new process group and has a
// cancelled context kill the whole group: wine64 starts helper processes
// that killing wine64 alone would leave behind.
func inOwnProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return unix.Kill(-cmd.Process.Pid, unix.SIGKILL) }
}

// GroupCommand is exec.CommandContext for a program that runs others (go
// build runs compile and link, gcc runs cc1 and as): it leads a process
// group of its own, and when ctx ends the whole group is killed, and Wait
// returns once it is gone (or groupGrace later), so that nothing writes
// into a temporary directory the caller removes next. A killed program
// leaves its own temporary files (go build its work directory, which it
// removes on no signal): give it a TMPDIR or GOTMPDIR the caller removes.
func GroupCommand(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		err := unix.Kill(-cmd.Process.Pid, unix.SIGKILL)
		// Wait reaps the leader meanwhile; the others go to init.
		deadline := time.Now().Add(groupGrace)
		for unix.Kill(-cmd.Process.Pid, 0) == nil && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		return err
	}
	cmd.WaitDelay = groupGrace
	return cmd
}
