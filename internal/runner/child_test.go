package runner

import (
	"context"
	"testing"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// TestOtherProcessCellsMatchSameProcess: on Linux the process does not
// matter for bind conflicts between sockets of one user, so a helper's
// second socket must give the same outcome as this process's.
func TestOtherProcessCellsMatchSameProcess(t *testing.T) {
	f, _ := matrix.ParseFilter("process=other,state=listening,family=ipv4,first_addr=specific,second_addr=specific")
	cells := f.Cells()
	other := Run(context.Background(), cells, Options{})
	for i := range cells {
		cells[i].Process = matrix.SameProcess
	}
	same := Run(context.Background(), cells, Options{})
	for i, r := range other.Cells {
		if r.Outcome == matrix.Unreached {
			t.Errorf("%s: unreached: %s", r.Cell, r.Note)
			continue
		}
		if r.Outcome != same.Cells[i].Outcome {
			t.Errorf("%s: %s in a helper, %s in this process", r.Cell, r.Outcome, same.Cells[i].Outcome)
		}
	}
}
