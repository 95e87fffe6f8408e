//go:build darwin || freebsd

package inventory

import (
	"fmt"
	"net/netip"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/bindmatrix/bindmatrix/internal/socktable"
	"github.com/bindmatrix/bindmatrix/matrix"
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

// fromEntries turns the rows a tool printed into sockets, merging the rows
// of one socket held by several processes (a forking server's workers).
func fromEntries(entries []socktable.Entry, proto matrix.Proto, f Filter, whyUnknown string) []Socket {
	var out []Socket
	index := map[netip.AddrPort]int{}
	for _, e := range entries {
		if e.Proto != proto.String() || f.Port != 0 && e.Local.Port() != f.Port || e.Remote.Port() != 0 {
			continue // another protocol, another port, or a connected socket: no server
		}
		if i, seen := index[e.Local]; seen {
			if e.PID > 0 && !slices.Contains(out[i].PIDs, e.PID) {
				out[i].PIDs = append(out[i].PIDs, e.PID)
				slices.Sort(out[i].PIDs)
			}
			continue
		}
		s := Socket{Proto: proto, Local: e.Local, Family: familyOf(e.Local, e.DualStack), UID: -1, User: e.User, Command: e.Command}
		if e.PID > 0 {
			s.PIDs = []int{e.PID}
		} else {
			s.Unknown, s.Unrecorded = whyUnknown, true
		}
		index[e.Local] = len(out)
		out = append(out, s)
	}
	return slices.DeleteFunc(out, func(s Socket) bool { return !f.owned(s.PIDs) })
}
