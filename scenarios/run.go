package scenarios

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// Options tune a run; the zero value is a good default.
type Options struct {
	// Parallel is how many cells run at once; 0 means GOMAXPROCS. Cells use
	// their own ports, so parallel cells do not see each other.
	Parallel int
	// Progress, when set, is called after each cell with the count done.
	Progress func(done, total int)
}

// Run runs the cells on this machine and returns the observation, cells in
// the order given.
func Run(cells []matrix.Cell, opt Options) *matrix.Observation {
	workers := opt.Parallel
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, len(cells)))
	results := make([]matrix.Result, len(cells))
	book := newPortBook()
	var next, done atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			w, err := newWitness()
			if err != nil {
				w = nil // cells that need the witness report unreached, with the reason
			}
			defer w.close()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(cells) {
					return
				}
				results[i] = runCell(cells[i], w, book)
				if err != nil && results[i].Outcome == matrix.Unreached {
					results[i].Note += " (" + err.Error() + ")"
				}
				n := int(done.Add(1))
				if opt.Progress != nil {
					opt.Progress(n, len(cells))
				}
			}
		})
	}
	wg.Wait()
	return &matrix.Observation{Schema: matrix.Schema, Platform: ThisPlatform(), Cells: results}
}
