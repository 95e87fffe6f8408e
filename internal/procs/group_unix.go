//go:build unix && !linux

package procs

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup makes the command the leader of a process group, so
// that stopping it reaches the processes it starts that stay in it.
func ownProcessGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

// The group signalled is the one ownProcessGroup made, never another.
func askToExit(cmd *exec.Cmd) { syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }

func killGroup(cmd *exec.Cmd) { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
