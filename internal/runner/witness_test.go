package runner

import (
	"context"
	"runtime"
	"strings"
	"testing"

	"github.com/bindmatrix/bindmatrix/internal/witness"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// TestTimeWaitWithoutWitnessIsUnreached: when the kernel's table cannot be
// read the cell says so; it never assumes the state was reached.
func TestTimeWaitWithoutWitnessIsUnreached(t *testing.T) {
	t.Setenv(WitnessEnv, witness.Off)
	w := testWorker(t)
	for _, st := range []matrix.State{matrix.TimeWait, matrix.Established} {
		c := matrix.NewCell(matrix.TCP, matrix.IPv4, st, matrix.Specific, matrix.Specific, matrix.None, matrix.None)
		r := w.runCell(c)
		if r.Outcome != matrix.Unreached || !strings.Contains(r.Note, witness.ErrNoWitness.Error()) {
			t.Errorf("%s with no witness: outcome %s note %q, want unreached naming the missing witness", c, r.Outcome, r.Note)
		}
	}
}

// TestRunLeaksNoDescriptors: a leaked socket would hold a port and change a
// later cell's answer.
func TestRunLeaksNoDescriptors(t *testing.T) {
	if _, err := openDescriptors(); err != nil {
		t.Skipf("skipped: %v on %s", err, runtime.GOOS)
	}
	count := func() int {
		n, err := openDescriptors()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	// Warm up lazily opened descriptors, and the threads (each holds a
	// handle on Windows) that the run's workers need.
	Run(context.Background(), matrix.AllCells()[:64], Options{})
	before := count()
	Run(context.Background(), matrix.AllCells(), Options{})
	if after := count(); after != before {
		t.Errorf("open descriptors: %d before the run, %d after", before, after)
	}
}
