package inventory

import (
	"slices"
	"testing"
)

// TestAChildOlderThanItsParentIsNotAdopted: Windows keeps a dead parent's
// PID in its children's entries; a new process given that PID must not
// count them among its descendants (an audit would attack their sockets).
// A child whose creation time is unknown is left out too, and only the
// tree and its candidates are asked about.
func TestAChildOlderThanItsParentIsNotAdopted(t *testing.T) {
	procs := []process{
		{pid: 100, parent: 1},   // the server, started at 50, took a dead process's PID
		{pid: 200, parent: 100}, // the dead process's child, older: someone else's
		{pid: 300, parent: 100}, // the server's worker
		{pid: 400, parent: 300}, // and its child
		{pid: 500, parent: 100}, // creation unknown
		{pid: 600, parent: 1},   // a stranger
	}
	created := map[int]int64{100: 50, 200: 10, 300: 60, 400: 70, 600: 80}
	var asked []int
	born := func(pid int) int64 { asked = append(asked, pid); return created[pid] }
	if got := descendantsBornAfter(100, procs, born); !slices.Equal(got, []int{100, 300, 400}) {
		t.Errorf("tree of 100: %v, want [100 300 400]", got)
	}
	if slices.Contains(asked, 600) || slices.Contains(asked, 1) {
		t.Errorf("asked about %v, beyond the tree and its candidates", asked)
	}
}
