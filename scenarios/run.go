package scenarios

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// Options tune a run; the zero value is a good default.
type Options struct {
	// Parallel is how many cells run at once; 0 means GOMAXPROCS. Cells use
	// their own ports, so parallel cells do not see each other.
	Parallel int
	// Progress, when set, is called after each cell with the count done.
	Progress func(done, total int)
	// CellTimeout bounds one cell; 0 means DefaultCellTimeout. A cell that
	// takes longer is reported unreached and the run goes on.
	CellTimeout time.Duration
}

// DefaultCellTimeout is far above what any cell takes (microseconds to a
// few milliseconds; seconds under Wine): only a hung cell reaches it.
const DefaultCellTimeout = 30 * time.Second

// witnessEnv forces a witness, for comparing them or for seeing how a run
// without one reports: "proc" reads /proc/net/tcp (Linux), "none" uses none.
const witnessEnv = "BINDMATRIX_WITNESS"

// Run runs the cells on this machine and returns the observation, cells in
// the order given.
func Run(cells []matrix.Cell, opt Options) *matrix.Observation {
	workers := opt.Parallel
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, len(cells)))
	timeout := opt.CellTimeout
	if timeout <= 0 {
		timeout = DefaultCellTimeout
	}
	results := make([]matrix.Result, len(cells))
	book := newPortBook()
	var next, done atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			w, witnessErr := chooseWitness()
			defer func() { w.close() }()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(cells) {
					return
				}
				r, finished := runWithin(cells[i], w, book, timeout)
				if !finished {
					// The hung cell keeps its witness (closing it under
					// the cell would be a race); this worker takes a new one.
					w, witnessErr = chooseWitness()
				}
				if witnessErr != nil && r.Outcome == matrix.Unreached {
					r.Note += " (" + witnessErr.Error() + ")"
				}
				results[i] = r
				n := int(done.Add(1))
				if opt.Progress != nil {
					opt.Progress(n, len(cells))
				}
			}
		})
	}
	wg.Wait()
	removeOtherUserExe()
	return &matrix.Observation{Schema: matrix.Schema, Platform: ThisPlatform(), Cells: results}
}

// chooseWitness opens this OS's witness, or the one witnessEnv names. A
// nil witness is valid: cells that need it report unreached, with the reason.
func chooseWitness() (*witness, error) {
	switch v := os.Getenv(witnessEnv); v {
	case "none":
		return nil, fmt.Errorf("no witness: %s=none", witnessEnv)
	case "proc":
		return procWitness()
	case "":
		return newWitness()
	default:
		return nil, fmt.Errorf("no witness: %s=%q is neither proc nor none", witnessEnv, v)
	}
}

// beforeCell runs before each cell; a test makes a cell hang with it.
var beforeCell = func(matrix.Cell) {}

// runWithin runs a cell with a time limit. A cell past it is left to finish
// on its own (it closes its own sockets when it does) and reported
// unreached; finished says whether it came back in time.
func runWithin(c matrix.Cell, w *witness, book *portBook, timeout time.Duration) (r matrix.Result, finished bool) {
	result := make(chan matrix.Result, 1)
	go func() {
		beforeCell(c)
		result <- runCell(c, w, book)
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case r := <-result:
		return r, true
	case <-timer.C:
		return matrix.Result{Cell: c, Outcome: matrix.Unreached,
			Note: fmt.Sprintf("the cell did not finish within %v", timeout)}, false
	}
}
