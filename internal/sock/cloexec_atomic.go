//go:build dragonfly || freebsd || illumos || linux

package sock

import "golang.org/x/sys/unix"

// newFD and acceptFD create descriptors that are closed on exec atomically,
// so that a child process started by another goroutine never inherits one
// (and with it a port of somebody else's cell).
func newFD(domain, typ int) (int, error) {
	return unix.Socket(domain, typ|unix.SOCK_CLOEXEC, 0)
}

func acceptFD(fd int) (int, error) {
	nfd, _, err := unix.Accept4(fd, unix.SOCK_CLOEXEC)
	return nfd, err
}
