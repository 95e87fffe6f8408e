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

// job: nothing here follows a process that leaves the group (a process
// descriptor on FreeBSD could).
type job struct{}

func track(cmd *exec.Cmd) job { return job{} }

func killGroup(cmd *exec.Cmd, _ job) { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }

func (job) release() {}
