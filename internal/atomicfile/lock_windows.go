package atomicfile

import (
	"fmt"
	"os"

	"golang.org/x/sys/windows"
)

// Lock takes an exclusive lock on file (made if missing), waiting for
// another holder. The lock ends with unlock or with the process.
func Lock(file string) (unlock func(), err error) {
	release := lockInProcess(file)
	f, err := os.OpenFile(file, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		release()
		return nil, err
	}
	var ol windows.Overlapped
	if err := windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK, 0, 1, 0, &ol); err != nil {
		f.Close()
		release()
		return nil, fmt.Errorf("locking %s: %w", file, err)
	}
	return func() { f.Close(); release() }, nil
}

// syncDir: Windows makes a rename durable without a directory sync (and
// cannot open a directory for one).
func syncDir(dir string) error { return nil }
