//go:build !unix && !windows

package procs

import "os/exec"

func ownProcessGroup(cmd *exec.Cmd) {}

func askToExit(cmd *exec.Cmd) { cmd.Process.Kill() }

type job struct{}

func track(cmd *exec.Cmd) job { return job{} }

func killGroup(cmd *exec.Cmd, _ job) { cmd.Process.Kill() }

func (job) release() {}
