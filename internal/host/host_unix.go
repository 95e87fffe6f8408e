//go:build unix

package host

import (
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// Platform describes the machine the cells run on; Name selects the
// expected table.
func Platform() matrix.Platform {
	var u unix.Utsname
	kernel := "unknown"
	if unix.Uname(&u) == nil {
		kernel = unix.ByteSliceToString(u.Release[:])
	}
	return matrix.Platform{
		Name: runtime.GOOS, GOOS: runtime.GOOS, GOARCH: runtime.GOARCH,
		Kernel: kernel, Go: runtime.Version(),
	}
}
