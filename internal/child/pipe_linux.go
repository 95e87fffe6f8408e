package child

import (
	"os"

	"golang.org/x/sys/unix"
)

// blockingPipe is os.Pipe with blocking ends, outside Go's poller: a read
// that waits in the kernel wakes sooner than one parked in the poller.
func blockingPipe() (r, w *os.File, err error) {
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_CLOEXEC); err != nil {
		return nil, nil, os.NewSyscallError("pipe2", err)
	}
	return os.NewFile(uintptr(fds[0]), "|0"), os.NewFile(uintptr(fds[1]), "|1"), nil
}
