//go:build unix

package lane

import (
	"context"
	"os/exec"
	"syscall"

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
// group of its own, and when ctx ends the whole group gets SIGINT, as from
// a terminal's Ctrl-C, so that each removes its temporary files (go build
// its work directory); a leader still running groupGrace later is killed.
// Killing the leader alone would leave its children writing into a
// temporary directory after the lane has removed it.
func GroupCommand(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return unix.Kill(-cmd.Process.Pid, unix.SIGINT) }
	cmd.WaitDelay = groupGrace
	return cmd
}
