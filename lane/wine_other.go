//go:build !unix

package lane

import (
	"errors"
	"os/exec"
)

// Wine runs on Unix hosts only; on others the lane stops at its lock.

func inOwnProcessGroup(cmd *exec.Cmd) {}

func lockFile(file string) (unlock func(), err error) {
	return nil, errors.New("the Wine lane runs on Unix hosts only")
}
