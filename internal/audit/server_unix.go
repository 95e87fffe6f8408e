//go:build unix

package audit

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup makes the server the leader of a process group, so that
// stopping it reaches the processes it starts too.
func ownProcessGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

func askToExit(cmd *exec.Cmd) { syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }

func kill(cmd *exec.Cmd) { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
