package scenarios

import (
	"golang.org/x/sys/windows"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// soExclusiveAddrUse is SO_EXCLUSIVEADDRUSE, defined in winsock2.h as
// ((int)(~SO_REUSEADDR)); x/sys/windows does not define it.
const soExclusiveAddrUse = ^windows.SO_REUSEADDR

// sockoptOf maps a matrix option to its Winsock option. Windows has no
// SO_REUSEPORT: its SO_REUSEADDR already lets sockets share a port
// ("Using SO_REUSEADDR and SO_EXCLUSIVEADDRUSE", learn.microsoft.com).
func sockoptOf(o matrix.Option) (level, name int, exists bool) {
	switch o {
	case matrix.None:
		return 0, 0, true
	case matrix.ReuseAddr:
		return windows.SOL_SOCKET, windows.SO_REUSEADDR, true
	case matrix.ExclusiveAddrUse:
		return windows.SOL_SOCKET, soExclusiveAddrUse, true
	}
	return 0, 0, false
}
