// Package proctab reads Linux's process table: every process's parent,
// from /proc/PID/stat. It is for the audit's process keeper and its socket
// inventory, which both walk the tree below a server; it makes no
// decision about what a tree means.
package proctab

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Parents maps every process to its parent. A process that ends while the
// table is read is left out.
func Parents() map[int]int {
	parents := map[int]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // gone meanwhile
		}
		if ppid, ok := ParentOf(string(data)); ok {
			parents[pid] = ppid
		}
	}
	return parents
}

// ParentOf reads the parent from a /proc/PID/stat line: "PID (COMM)
// STATE PPID ...", where COMM may hold spaces and parentheses.
func ParentOf(stat string) (int, bool) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 2 {
		return 0, false
	}
	ppid, err := strconv.Atoi(f[1])
	return ppid, err == nil
}
