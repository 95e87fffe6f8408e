package inventory

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/bindmatrix/bindmatrix/internal/proctab"
	"github.com/bindmatrix/bindmatrix/internal/socktable"
	"github.com/bindmatrix/bindmatrix/internal/witness"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// List asks sock_diag for the listening TCP and unconnected UDP sockets,
// then finds their holders by their inodes in /proc/PID/fd. Another user's
// descriptors cannot be read without root; sockets whose holder is not
// found say so.
func List(f Filter) ([]Socket, error) {
	sd, err := witness.OpenSockDiag()
	if err != nil {
		return nil, err
	}
	defer sd.Close()
	var entries []socktable.Entry
	for _, p := range []struct {
		proto  matrix.Proto
		states uint32
	}{{matrix.TCP, 1 << socktable.Listen}, {matrix.UDP, 1 << socktable.Close}} {
		if !f.wants(p.proto) {
			continue
		}
		es, err := sd.Dump(p.proto.String(), f.Port, p.states)
		if err != nil {
			return nil, err
		}
		entries = append(entries, es...)
	}
	if f.IdentityOnly && len(f.PIDs) == 0 {
		var out []Socket
		for _, e := range entries {
			proto, _ := matrix.ParseProto(e.Proto)
			out = append(out, Socket{Proto: proto, Local: e.Local, Family: familyOf(e.Local, e.DualStack), UID: e.UID,
				Inode: e.Inode, Cookie: e.Cookie, Unknown: "its holders were not looked up"})
		}
		return out, nil
	}
	holders, unreadable := socketHolders(f.PIDs)
	var out []Socket
	for _, e := range entries {
		proto, _ := matrix.ParseProto(e.Proto)
		s := Socket{Proto: proto, Local: e.Local, Family: familyOf(e.Local, e.DualStack), UID: e.UID, User: userName(e.UID),
			Inode: e.Inode, Cookie: e.Cookie}
		s.PIDs = holders[e.Inode]
		switch {
		case len(s.PIDs) > 0:
			s.Command = command(s.PIDs[0])
		case unreadable > 0:
			s.Unknown = fmt.Sprintf("its holder was not found: the descriptors of %d processes could not be read (another user's; run as root to see them)", unreadable)
		default:
			s.Unknown = "its holder was not found among the processes' descriptors"
		}
		if f.owned(s.PIDs) {
			out = append(out, s)
		}
	}
	return out, nil
}

// socketHolders maps socket inodes to the processes holding them, reading
// only pids' descriptors when given. unreadable counts the processes whose
// descriptors could not be read.
func socketHolders(pids []int) (holders map[uint64][]int, unreadable int) {
	if len(pids) == 0 {
		pids = allPIDs()
	}
	holders = map[uint64][]int{}
	for _, pid := range pids {
		dir := filepath.Join("/proc", strconv.Itoa(pid), "fd")
		fds, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrPermission) {
			unreadable++
		}
		for _, fd := range fds {
			target, err := os.Readlink(filepath.Join(dir, fd.Name()))
			if err != nil {
				continue // closed meanwhile
			}
			inode, ok := strings.CutPrefix(target, "socket:[")
			if !ok {
				continue
			}
			n, err := strconv.ParseUint(strings.TrimSuffix(inode, "]"), 10, 64)
			if err == nil && !slices.Contains(holders[n], pid) {
				holders[n] = append(holders[n], pid)
			}
		}
	}
	for _, h := range holders {
		slices.Sort(h)
	}
	return holders, unreadable
}

func allPIDs() []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

func command(pid int) string {
	comm, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "comm"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(comm))
}

// HoldersReadable says whether this user may read which sockets pid holds:
// another user's descriptors are root's to read only.
func HoldersReadable(pid int) error {
	_, err := os.ReadDir(filepath.Join("/proc", strconv.Itoa(pid), "fd"))
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("the descriptors of process %d are another user's, which only root may read", pid)
	}
	return nil
}

// Exists says whether pid is a process.
func Exists(pid int) error {
	if pid <= 0 {
		return ErrNoProcess
	}
	if _, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid))); err != nil {
		return ErrNoProcess
	}
	return nil
}

// Tree is pid and every process descended from it, from the parents in
// /proc/PID/stat.
func Tree(pid int) ([]int, error) {
	if err := Exists(pid); err != nil {
		return nil, err
	}
	children := map[int][]int{}
	for p, parent := range proctab.Parents() {
		children[parent] = append(children[parent], p)
	}
	return descendants(pid, children), nil
}
