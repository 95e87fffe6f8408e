package inventory

import "slices"

// descendants is root and everything below it in a parent → children map,
// sorted.
func descendants(root int, children map[int][]int) []int {
	out := []int{root}
	for i := 0; i < len(out); i++ {
		for _, c := range children[out[i]] {
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	slices.Sort(out)
	return out
}

// process is an entry of a process list, with its parent as the OS
// recorded it.
type process struct{ pid, parent int }

// descendantsBornAfter is root and everything below it, where a child
// counts only if known to be younger than its recorded parent (born is a
// creation time, 0 when unknown): Windows keeps a dead parent's PID in its
// children's entries and may give that PID to a new process, which would
// adopt them (documented for ETW's ParentId: "ParentProcessId incorrectly
// refers to a process that reuses a process identifier",
// learn.microsoft.com/windows/win32/etw/process-v0-typegroup1). born is
// asked only about the tree and its candidates.
func descendantsBornAfter(root int, procs []process, born func(pid int) int64) []int {
	children := map[int][]int{}
	for _, p := range procs {
		if p.pid != p.parent {
			children[p.parent] = append(children[p.parent], p.pid)
		}
	}
	out := []int{root}
	for i := 0; i < len(out); i++ {
		parentBorn := born(out[i])
		for _, c := range children[out[i]] {
			if b := born(c); b != 0 && parentBorn != 0 && b >= parentBorn && !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	slices.Sort(out)
	return out
}
