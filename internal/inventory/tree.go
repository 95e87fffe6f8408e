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

// process is an entry of a process list: its parent as the OS recorded it
// and its creation time (0 when unknown).
type process struct {
	pid, parent int
	created     int64
}

// childrenOf maps parents to children, leaving out a child not known to be
// younger than its recorded parent: Windows keeps a dead parent's PID in
// its children's entries and soon gives that PID to a new process, which
// would adopt them.
func childrenOf(procs []process) map[int][]int {
	created := map[int]int64{}
	for _, p := range procs {
		created[p.pid] = p.created
	}
	children := map[int][]int{}
	for _, p := range procs {
		born, parentBorn := p.created, created[p.parent]
		if p.pid == p.parent || born == 0 || parentBorn == 0 || born < parentBorn || slices.Contains(children[p.parent], p.pid) {
			continue
		}
		children[p.parent] = append(children[p.parent], p.pid)
	}
	return children
}
