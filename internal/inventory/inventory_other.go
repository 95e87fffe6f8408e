//go:build !linux && !windows && !darwin && !freebsd

package inventory

import (
	"fmt"
	"runtime"
)

// List: no socket inventory is written for this OS yet.
func List(f Filter) ([]Socket, error) {
	return nil, fmt.Errorf("%w (%s)", ErrUnsupported, runtime.GOOS)
}

// Exists cannot tell here; it says so.
func Exists(pid int) error { return fmt.Errorf("%w (%s)", ErrUnsupported, runtime.GOOS) }

// Tree cannot tell here; it says so.
func Tree(pid int) ([]int, error) { return nil, fmt.Errorf("%w (%s)", ErrUnsupported, runtime.GOOS) }
