//go:build unix && !linux

package runner

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
)

// openDescriptors lists this process's open file descriptors where the OS
// lists them in /dev/fd (macOS, the BSDs), each with the device and inode
// it refers to, so that a descriptor closed and another opened under its
// number differ.
func openDescriptors() (map[string]bool, error) {
	entries, err := os.ReadDir("/dev/fd")
	if err != nil {
		return nil, errors.New("no /dev/fd to list descriptors in")
	}
	open := map[string]bool{}
	for _, e := range entries {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		var st syscall.Stat_t
		if syscall.Fstat(fd, &st) != nil {
			continue // closed since the listing: the listing's own descriptor
		}
		open[fmt.Sprintf("%d dev %d ino %d", fd, st.Dev, st.Ino)] = true
	}
	return open, nil
}
