//go:build linux || darwin || freebsd

package scenarios

import (
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// ThisPlatform describes the machine the cells run on; Name selects the
// expected table.
func ThisPlatform() matrix.Platform {
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
