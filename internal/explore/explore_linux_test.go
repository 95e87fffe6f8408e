package explore

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/bindmatrix/bindmatrix/internal/arrange"
	"github.com/bindmatrix/bindmatrix/internal/child"
	"github.com/bindmatrix/bindmatrix/internal/reexec"
	"github.com/bindmatrix/bindmatrix/internal/witness"
)

func TestMain(m *testing.M) {
	reexec.Main(child.Role) // helpers of other owners are this test binary
	os.Exit(m.Run())
}

// TestExploreThisKernel: a bounded exploration on this machine's kernel,
// every arrangement run for real, finds no disagreement that a known
// deviation does not explain (the systematic pairs and the first triples;
// -short: the pairs only). Known deviations are logged: they belong to the
// kernel, not to the harness.
func TestExploreThisKernel(t *testing.T) {
	n := 6000
	if testing.Short() {
		n = 1500
	}
	rep, err := Run(context.Background(), Config{N: n, Seed: 1, MaxSockets: 16, Parallel: 2, MaxTainting: 500,
		NewRunner: func() (Runner, error) {
			w, err := witness.Open(witness.Best)
			if err != nil {
				return nil, err
			}
			return closingRunner{arrange.NewRunner(w), w}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(rep)
	for _, f := range rep.Findings {
		line := fmt.Sprintf("(%d found) %s: socket %d observed %s, model %s (%s); found as %s", f.Count, f.Arrangement, f.Socket, f.Observed, f.Predicted, f.Rule, f.Found)
		if f.Deviation == "" {
			t.Errorf("a disagreement no known deviation explains %s", line)
		} else {
			t.Logf("known deviation %s on this kernel %s", f.Deviation, line)
		}
	}
	if rep.Checked == 0 || rep.Unreached > rep.Checked/100 {
		t.Errorf("too little compared: %s", rep)
	}
}

type closingRunner struct {
	*arrange.Runner
	w witness.Witness
}

func (c closingRunner) Close() { c.Runner.Close(); c.w.Close() }
