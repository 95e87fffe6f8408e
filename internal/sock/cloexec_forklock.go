//go:build unix && !(dragonfly || freebsd || illumos || linux)

package sock

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// Where x/sys offers no SOCK_CLOEXEC or accept4 (Darwin; NetBSD and OpenBSD
// have both, but x/sys wraps no accept4 there), set close-on-exec under
// ForkLock, as Go's net package does, so that no child inherits the
// descriptor between the two calls.
func newFD(domain, typ int) (int, error) {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	fd, err := unix.Socket(domain, typ, 0)
	if err == nil {
		unix.CloseOnExec(fd)
	}
	return fd, err
}

func acceptFD(fd int) (int, error) {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	nfd, _, err := unix.Accept(fd)
	if err == nil {
		unix.CloseOnExec(nfd)
	}
	return nfd, err
}
