//go:build !linux

package lane

import "io"

// IsGuest is false off Linux: only a Linux build is ever a QEMU lane's init.
func IsGuest() bool { return false }

// Guest is never called off Linux.
func Guest(run func(args []string, stdout, stderr io.Writer) int, args []string) {
	panic("bindmatrix: the QEMU guest runs only on Linux")
}
