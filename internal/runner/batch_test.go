package runner

import (
	"testing"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// TestCellsRunTogetherAnswerAsAlone: a batch's second sockets are asked of
// the helper together and answered in one go; each answer must still be its
// own cell's. The cells mix outcomes (ok, bind errors, unsupported) and
// states, so an answer handed to the wrong cell shows.
func TestCellsRunTogetherAnswerAsAlone(t *testing.T) {
	f, err := matrix.ParseFilter("proto=tcp,family=ipv4,first_addr=specific,second_addr=specific,process=other,process=same")
	if err != nil {
		t.Fatal(err)
	}
	cells := f.Cells()
	w := testWorker(t)
	together := w.runCells(cells)
	outcomes := map[matrix.Outcome]bool{}
	for i, c := range cells {
		alone := w.runCell(c)
		if together[i].Cell != c {
			t.Fatalf("result %d is for %s, want %s", i, together[i].Cell, c)
		}
		if together[i].Outcome != alone.Outcome || together[i].Delivery != alone.Delivery {
			t.Errorf("%s: together %s/%s (%s), alone %s/%s (%s)", c, together[i].Outcome, together[i].Delivery, together[i].Note,
				alone.Outcome, alone.Delivery, alone.Note)
		}
		if together[i].Outcome == matrix.Unreached {
			t.Errorf("%s: unreached together: %s", c, together[i].Note)
		}
		outcomes[together[i].Outcome] = true
	}
	if len(outcomes) < 2 {
		t.Errorf("the cells all answered %v: a mix-up could not show", outcomes)
	}
}
