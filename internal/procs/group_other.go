//go:build !unix && !windows

package procs

import "os/exec"

func ownProcessGroup(cmd *exec.Cmd) {}

func askToExit(cmd *exec.Cmd) { cmd.Process.Kill() }

func killGroup(cmd *exec.Cmd) { cmd.Process.Kill() }
