package runner

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// TestHungCellIsUnreachedAndTheRunGoesOn: a cell that never finishes is
// reported unreached with the reason, and every other cell still runs.
func TestHungCellIsUnreachedAndTheRunGoesOn(t *testing.T) {
	f, _ := matrix.ParseFilter("proto=tcp,process=same,family=ipv4,state=listening,first_addr=specific,second_addr=specific")
	cells := f.Cells()
	hung := cells[5]
	release := make(chan struct{})
	defer close(release)
	hang := func(c matrix.Cell) {
		if c == hung {
			<-release
		}
	}
	beforeCell.Store(&hang)
	defer beforeCell.Store(nil)

	obs := Run(context.Background(), cells, Options{Parallel: 2, CellTimeout: time.Second})
	for i, r := range obs.Cells {
		switch {
		case cells[i] == hung && (r.Outcome != matrix.Unreached || !strings.Contains(r.Note, "did not finish within 1s")):
			t.Errorf("hung cell: outcome %s note %q, want unreached saying it timed out", r.Outcome, r.Note)
		case cells[i] != hung && r.Outcome == matrix.Unreached:
			t.Errorf("%s: unreached after another cell hung: %s", r.Cell, r.Note)
		}
	}
}

// TestRunWithoutWitness: with no way to read the TCP table, the states that
// need it are unreached and say why; the others still run.
func TestRunWithoutWitness(t *testing.T) {
	t.Setenv(WitnessEnv, "none")
	f, _ := matrix.ParseFilter("proto=tcp,process=same,family=ipv4,first=none,second=none,first_addr=specific,second_addr=specific")
	obs := Run(context.Background(), f.Cells(), Options{})
	for _, r := range obs.Cells {
		needsWitness := r.State == matrix.TimeWait || r.State == matrix.Established
		if needsWitness != (r.Outcome == matrix.Unreached) {
			t.Errorf("%s: outcome %s without a witness", r.Cell, r.Outcome)
		}
		if needsWitness && !strings.Contains(r.Note, WitnessEnv+"=none") {
			t.Errorf("%s: note %q does not say why there is no witness", r.Cell, r.Note)
		}
	}
}
