//go:build !unix && !windows

package atomicfile

import "errors"

// Lock: no file lock is implemented on this OS.
func Lock(file string) (unlock func(), err error) {
	return nil, errors.New("file locks are not supported on this OS")
}

func syncDir(dir string) error { return nil }
