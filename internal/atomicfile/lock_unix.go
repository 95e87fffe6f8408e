//go:build unix

package atomicfile

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Lock takes an exclusive lock on file (made if missing), waiting for
// another holder. The lock ends with unlock or with the process, so a
// crashed holder never leaves it taken. It is a POSIX record lock (fcntl),
// which every Unix has; such a lock belongs to the process, so goroutines
// of one process are kept apart by a mutex as well.
func Lock(file string) (unlock func(), err error) {
	release := lockInProcess(file)
	f, err := os.OpenFile(file, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		release()
		return nil, err
	}
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: 0}
	for {
		err = unix.FcntlFlock(f.Fd(), unix.F_SETLKW, &lk)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		release()
		return nil, fmt.Errorf("locking %s: %w", file, err)
	}
	return func() { f.Close(); release() }, nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
