package scenarios

import (
	"errors"
	"os/exec"
)

// runAsOtherUser is not offered on Windows: starting a process as another
// account needs that account's password, which a test harness has no
// business holding.
func runAsOtherUser(cmd *exec.Cmd) error {
	return errors.New("starting the second socket's process as another Windows user needs that user's credentials; not supported")
}
