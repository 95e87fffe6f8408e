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

// runAs makes cmd run as the user called name, which needs root. "nobody"
// is taken as 65534 where no user database names it; a number no database
// names is taken as a uid (a socket's owner may have no name), with a gid
// of the same number.
func runAs(cmd *exec.Cmd, name string) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("starting a helper process as %s needs root (running as uid %d)", name, os.Geteuid())
	}
	uid, gid := uint32(65534), uint32(65534)
	u, err := user.Lookup(name)
	switch {
	case err == nil:
		n, err1 := strconv.ParseUint(u.Uid, 10, 32)
		m, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil {
			return fmt.Errorf("user %s has uid %q and gid %q, which are not numbers", name, u.Uid, u.Gid)
		}
		uid, gid = uint32(n), uint32(m)
	case isNumber(name):
		n, _ := strconv.ParseUint(name, 10, 32)
		uid, gid = uint32(n), uint32(n)
	case name != "nobody":
		return fmt.Errorf("no user %q: %w", name, err)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: gid}}
	return nil
}

func isNumber(s string) bool {
	_, err := strconv.ParseUint(s, 10, 32)
	return err == nil
}
