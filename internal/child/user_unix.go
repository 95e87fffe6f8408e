//go:build unix

package child

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"syscall"
)

// runAsOtherUser makes cmd run as "nobody", which needs root.
func runAsOtherUser(cmd *exec.Cmd) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("starting a helper process as another user needs root (running as uid %d)", os.Geteuid())
	}
	uid, gid := uint32(65534), uint32(65534) // nobody, where no user database says otherwise
	if u, err := user.Lookup("nobody"); err == nil {
		if n, err := strconv.ParseUint(u.Uid, 10, 32); err == nil {
			uid = uint32(n)
		}
		if n, err := strconv.ParseUint(u.Gid, 10, 32); err == nil {
			gid = uint32(n)
		}
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: gid}}
	return nil
}
