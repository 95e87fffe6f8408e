package runner

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"slices"
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

// leakCheckEnv, set to 1, makes TestRunLeaksNoDescriptors do its check in
// this process: one started for that alone.
const leakCheckEnv = "BINDMATRIX_LEAK_CHECK"

// TestRunLeaksNoDescriptors: a leaked socket would hold a port and change a
// later cell's answer. The check runs in a test process started for it
// alone, and compares which descriptors are open, not how many: in the
// package's test process, descriptors other tests opened can close or open
// while the run goes on (once, under load, 34 were open before a run and 24
// after).
func TestRunLeaksNoDescriptors(t *testing.T) {
	if _, err := openDescriptors(); err != nil {
		t.Skipf("skipped: %v on %s", err, runtime.GOOS)
	}
	if os.Getenv(leakCheckEnv) != "1" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestRunLeaksNoDescriptors$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), leakCheckEnv+"=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("the check, in a test process of its own: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), "--- PASS: TestRunLeaksNoDescriptors") {
			t.Fatalf("the check's process did not run it:\n%s", out)
		}
		return
	}
	list := func() map[string]bool {
		open, err := openDescriptors()
		if err != nil {
			t.Fatal(err)
		}
		return open
	}
	// Warm up lazily opened descriptors, and the threads (each holds a
	// handle on Windows) that the run's workers need.
	Run(context.Background(), matrix.AllCells()[:64], Options{})
	before := list()
	Run(context.Background(), matrix.AllCells(), Options{})
	var leaked []string
	for d := range list() {
		if !before[d] {
			leaked = append(leaked, d)
		}
	}
	if len(leaked) > 0 {
		slices.Sort(leaked)
		t.Errorf("open after the run and not before it (%d of them): %s", len(leaked), strings.Join(leaked, ", "))
	}
}
