//go:build !linux

package lane

import (
	"fmt"
	"io"
	"os"
)

// guest: only a Linux build is ever a QEMU lane's init.
func guest(run func(args []string, stdout, stderr io.Writer) int, args []string) int {
	fmt.Fprintf(os.Stderr, "bindmatrix: the %s role runs on Linux only\n", guestRole)
	return 2
}
