package scenarios

import (
	"errors"
	"fmt"
	"os"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// sysErr records which call failed, the way os.NewSyscallError does, keeping
// the errno for errnoOf.
func sysErr(call string, err error) error {
	if err == nil {
		return nil
	}
	return os.NewSyscallError(call, err)
}

// outcomeOf turns the second socket's failure into an outcome and the OS's
// native error number. An error the OS cannot name is still reported, by
// number, so nothing is hidden behind a generic word.
func outcomeOf(err error) (matrix.Outcome, int) {
	call := "bind"
	var se *os.SyscallError
	if errors.As(err, &se) {
		call = se.Syscall
	}
	name, native, ok := errnoOf(err)
	if !ok {
		name = fmt.Sprintf("E%d", native)
	}
	return matrix.Failed(call, name), native
}
