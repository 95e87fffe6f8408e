package runner

import (
	"context"
	"sync"
	"testing"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// TestCancelStopsTheRun: once its context is cancelled a run starts no
// more cells, kills the helpers of those under way and returns; the cells
// it did not run are missing (zero) from the observation.
func TestCancelStopsTheRun(t *testing.T) {
	f, _ := matrix.ParseFilter("proto=tcp,process=other")
	cells := f.Cells()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	obs := Run(ctx, cells, Options{Parallel: 2, Repeat: 1000, Progress: func(done, total int) { once.Do(cancel) }})
	missing := 0
	for _, r := range obs.Cells {
		if r.Outcome == "" {
			missing++
		}
	}
	if missing == 0 {
		t.Errorf("all %d cells ran after the run was cancelled at its first cell", len(cells))
	}
}
