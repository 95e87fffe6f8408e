//go:build !linux

package inventory

import (
	"fmt"
	"runtime"
)

// ReadOptions: no way to read another process's socket options without
// binding is written for this OS.
func ReadOptions(s Socket) (SocketOptions, error) {
	return SocketOptions{}, fmt.Errorf("reading another process's socket options is not offered on %s", runtime.GOOS)
}
