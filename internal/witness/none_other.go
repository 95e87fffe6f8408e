//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd || windows)

package witness

import (
	"fmt"
	"runtime"
)

// openBest: no witness reads the TCP table on this OS yet (illumos's
// netstat prints another layout, which nobody here has captured). States
// that need one are reported unreached with this reason.
func openBest() (Witness, error) {
	return nil, fmt.Errorf("bindmatrix has no witness for %s", runtime.GOOS)
}
