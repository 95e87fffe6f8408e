//go:build unix

package sock

import (
	"errors"

	"golang.org/x/sys/unix"
)

// errnoOf names the POSIX error inside err and returns the OS's own number.
func errnoOf(err error) (name string, native int, ok bool) {
	var errno unix.Errno
	if !errors.As(err, &errno) {
		return "", 0, false
	}
	if name = unix.ErrnoName(errno); name == "" {
		return "", int(errno), false
	}
	return name, int(errno), true
}
