//go:build !unix

package child

import (
	"errors"
	"os/exec"
)

// runAs is not offered here: on Windows starting a process as another
// account needs that account's password, which a test harness has no
// business holding.
func runAs(cmd *exec.Cmd, name string) error {
	return errors.New("starting a helper process as another user is not supported on this OS (Windows needs the account's password)")
}
