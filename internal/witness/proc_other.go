//go:build !linux

package witness

import "errors"

// openProc: /proc/net/tcp is Linux's.
func openProc() (Witness, error) {
	return nil, errors.New("/proc/net/tcp exists on Linux only")
}
