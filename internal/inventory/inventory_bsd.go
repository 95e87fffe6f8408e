//go:build darwin || freebsd

package inventory

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// Exists says whether pid is a process: kill(pid, 0) succeeds, or fails
// only for lack of permission.
func Exists(pid int) error {
	if pid <= 0 {
		return ErrNoProcess
	}
	if err := syscall.Kill(pid, 0); err != nil && err != syscall.EPERM {
		return ErrNoProcess
	}
	return nil
}

// Tree is pid and its descendants, from `ps -A -o pid=,ppid=`.
func Tree(pid int) ([]int, error) {
	if err := Exists(pid); err != nil {
		return nil, err
	}
	out, err := exec.Command("ps", "-A", "-o", "pid=,ppid=").Output()
	if err != nil {
		return nil, fmt.Errorf("ps -A -o pid=,ppid=: %w", err)
	}
	children := map[int][]int{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		p, err1 := strconv.Atoi(f[0])
		parent, err2 := strconv.Atoi(f[1])
		if err1 == nil && err2 == nil && p != parent {
			children[parent] = append(children[parent], p)
		}
	}
	return descendants(pid, children), nil
}
