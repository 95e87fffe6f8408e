//go:build !unix

package lane

import (
	"context"
	"os/exec"
)

// Wine runs on Unix hosts only; elsewhere the lane stops when it finds no
// wine64.
func inOwnProcessGroup(cmd *exec.Cmd) {}

// GroupCommand is exec.CommandContext with a grace period: without Unix
// process groups, a cancelled command's process is killed (Windows has no
// SIGINT to send to another process), and what it started is not reached.
func GroupCommand(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.WaitDelay = groupGrace
	return cmd
}
