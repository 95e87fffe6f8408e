//go:build unix

package sock

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// optionName maps a matrix option to its socket option at SOL_SOCKET. The
// numbers come from x/sys: they differ between OSes and architectures.
// SO_EXCLUSIVEADDRUSE is Winsock's and has no counterpart here.
func optionName(o matrix.Option) (name int, exists bool) {
	switch o {
	case matrix.ReuseAddr:
		return unix.SO_REUSEADDR, true
	case matrix.ReusePort:
		return reusePort()
	case matrix.ReusePortLB:
		return reusePortLB()
	}
	return 0, false
}

// OptionExists says whether this OS has the option; None always exists.
func OptionExists(o matrix.Option) bool {
	_, exists := optionName(o)
	return o == matrix.None || exists
}

func unsupported(o matrix.Option) error { return fmt.Errorf("%s: %w", o, ErrUnsupported) }
