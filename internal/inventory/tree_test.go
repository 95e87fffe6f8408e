package inventory

import (
	"slices"
	"testing"
)

// TestAChildOlderThanItsParentIsNotAdopted: Windows keeps a dead parent's
// PID in its children's entries; a new process given that PID must not
// count them among its descendants (an audit would attack their sockets).
// A child whose creation time is unknown is left out too.
func TestAChildOlderThanItsParentIsNotAdopted(t *testing.T) {
	procs := []process{
		{pid: 100, parent: 1, created: 50},   // the server, started at 50, took a dead process's PID
		{pid: 200, parent: 100, created: 10}, // the dead process's child, older: someone else's
		{pid: 300, parent: 100, created: 60}, // the server's worker
		{pid: 400, parent: 300, created: 70}, // and its child
		{pid: 500, parent: 100},              // creation unknown
	}
	if got := descendants(100, childrenOf(procs)); !slices.Equal(got, []int{100, 300, 400}) {
		t.Errorf("tree of 100: %v, want [100 300 400]", got)
	}
}
