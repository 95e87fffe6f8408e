package sock

import (
	"golang.org/x/sys/windows"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// soExclusiveAddrUse is SO_EXCLUSIVEADDRUSE, defined in winsock2.h as
// ((int)(~SO_REUSEADDR)); x/sys/windows does not define it.
const soExclusiveAddrUse = ^windows.SO_REUSEADDR

// optionName maps a matrix option to its Winsock option. Windows has no
// SO_REUSEPORT: its SO_REUSEADDR already lets sockets share a port ("Using
// SO_REUSEADDR and SO_EXCLUSIVEADDRUSE", learn.microsoft.com).
func optionName(o matrix.Option) (name int, exists bool) {
	switch o {
	case matrix.ReuseAddr:
		return windows.SO_REUSEADDR, true
	case matrix.ExclusiveAddrUse:
		return soExclusiveAddrUse, true
	}
	return 0, false
}

// OptionExists says whether Windows has the option; None always exists.
func OptionExists(o matrix.Option) bool {
	_, exists := optionName(o)
	return o == matrix.None || exists
}
