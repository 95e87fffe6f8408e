package lane

import (
	"io"
	"os"
	"strings"

	"github.com/bindmatrix/bindmatrix/internal/reexec"
)

// guestRole is the role of bindmatrix as the init of a QEMU lane's kernel.
// The kernel hands unknown key=value parameters of its command line to init
// as environment, which is how the role's variable reaches it.
const guestRole = "qemu-guest"

// guestArgs is the file of the initramfs that holds the guest's command
// line, each argument NUL-terminated.
const guestArgs = "args"

// GuestRole plays the guest's init: it runs the command line the host
// packed (guestArgs) through run, the command's main without the process,
// and powers the guest off.
func GuestRole(run func(args []string, stdout, stderr io.Writer) int) reexec.Role {
	return reexec.Role{Name: guestRole, Main: func() int { return guest(run, readArgs("/"+guestArgs)) }}
}

// readArgs reads a NUL-terminated argument list; none if it is missing.
func readArgs(file string) []string {
	data, err := os.ReadFile(file)
	if err != nil || len(data) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(data), "\x00"), "\x00")
}
