package sock

import (
	"errors"

	"golang.org/x/sys/windows"
)

// errnoOf names the POSIX error inside err and returns Winsock's own number.
// It goes by the number: errors.Is(err, syscall.EADDRINUSE) is false for
// WSAEADDRINUSE, since syscall's POSIX errnos on Windows are invented values
// that Winsock never returns.
func errnoOf(err error) (name string, native int, ok bool) {
	var errno windows.Errno
	if !errors.As(err, &errno) {
		return "", 0, false
	}
	name, ok = posixOfWSA(int(errno))
	return name, int(errno), ok
}
