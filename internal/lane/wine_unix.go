//go:build unix

package lane

import (
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
