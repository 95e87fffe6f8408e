package lane

import (
	"io"
	"os"

	"github.com/bindmatrix/bindmatrix/internal/reexec"
)

// guestRole is the role of bindmatrix as the init of a QEMU lane's kernel.
// The kernel hands unknown key=value parameters of its command line to init
// as environment, which is how the role's variable reaches it.
const guestRole = "qemu-guest"

// GuestRole plays the guest's init: it runs the command line the kernel
// passes through run, the command's main without the process, and powers
// the guest off.
func GuestRole(run func(args []string, stdout, stderr io.Writer) int) reexec.Role {
	return reexec.Role{Name: guestRole, Main: func() int { return guest(run, os.Args[1:]) }}
}
