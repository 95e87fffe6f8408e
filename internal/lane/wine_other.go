//go:build !unix

package lane

import "os/exec"

// Wine runs on Unix hosts only; elsewhere the lane stops when it finds no
// wine64.
func inOwnProcessGroup(cmd *exec.Cmd) {}
