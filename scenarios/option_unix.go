//go:build linux || darwin || freebsd

package scenarios

import (
	"golang.org/x/sys/unix"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// sockoptOf maps a matrix option to its socket option. SO_EXCLUSIVEADDRUSE is
// Winsock's and has no counterpart here; SO_REUSEPORT exists on Linux (since
// 3.9), macOS and the BSDs; SO_REUSEPORT_LB on FreeBSD 12 and later. The numbers come from x/sys: they differ between
// OSes and architectures.
func sockoptOf(o matrix.Option) (level, name int, exists bool) {
	switch o {
	case matrix.None:
		return 0, 0, true
	case matrix.ReuseAddr:
		return unix.SOL_SOCKET, unix.SO_REUSEADDR, true
	case matrix.ReusePort:
		return unix.SOL_SOCKET, unix.SO_REUSEPORT, true
	case matrix.ReusePortLB:
		name, exists := reusePortLB()
		return unix.SOL_SOCKET, name, exists
	}
	return 0, 0, false
}
