package scenarios

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// Darwin has neither SOCK_CLOEXEC nor accept4: set close-on-exec under
// ForkLock, as Go's net package does, so no child inherits the descriptor.
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
