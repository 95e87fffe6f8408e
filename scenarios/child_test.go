package scenarios

import (
	"strings"
	"testing"

	"github.com/bindmatrix/bindmatrix/matrix"
)

func TestChildRequestRoundTrip(t *testing.T) {
	c := matrix.NewCell(matrix.UDP, matrix.Dual, matrix.Bound, matrix.Wildcard, matrix.Specific, matrix.None, matrix.ReuseAddr)
	c.FirstFamily, c.SecondFamily = matrix.SockIPv4, matrix.SockDualStack
	got, port, err := parseChildRequest(childRequest(c, 4242))
	if err != nil {
		t.Fatal(err)
	}
	if port != 4242 || got.Proto != c.Proto || got.SecondFamily != c.SecondFamily || got.SecondAddr != c.SecondAddr || got.Second != c.Second {
		t.Errorf("request for %s came back as %+v port %d", c, got, port)
	}
	if _, _, err := parseChildRequest("proto=tcp colour=red"); err == nil || !strings.Contains(err.Error(), "colour") {
		t.Errorf("unknown key: %v", err)
	}
}

// TestOtherProcessCellsMatchSameProcess: on Linux the process does not
// matter for bind conflicts between sockets of one user, so a child's
// second socket must give the same outcome as this process's.
func TestOtherProcessCellsMatchSameProcess(t *testing.T) {
	f, _ := matrix.ParseFilter("process=other,state=listening,family=ipv4,first_addr=specific,second_addr=specific")
	cells := f.Cells()
	other := Run(cells, Options{})
	for i := range cells {
		cells[i].Process = matrix.SameProcess
	}
	same := Run(cells, Options{})
	for i, r := range other.Cells {
		if r.Outcome == matrix.Unreached {
			t.Errorf("%s: unreached: %s", r.Cell, r.Note)
			continue
		}
		if r.Outcome != same.Cells[i].Outcome {
			t.Errorf("%s: %s in a child, %s in this process", r.Cell, r.Outcome, same.Cells[i].Outcome)
		}
	}
}
