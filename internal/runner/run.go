package runner

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bindmatrix/bindmatrix/internal/child"
	"github.com/bindmatrix/bindmatrix/internal/host"
	"github.com/bindmatrix/bindmatrix/internal/ports"
	"github.com/bindmatrix/bindmatrix/internal/walk"
	"github.com/bindmatrix/bindmatrix/internal/witness"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// Options tune a run; the zero value is a good default.
type Options struct {
	// Parallel is how many cells run at once; 0 means GOMAXPROCS, or
	// waitingWorkers if more where the witness reads whole tables. Cells use
	// their own ports, so parallel cells do not see each other.
	Parallel int
	// Progress, when set, is called after each cell with the count done.
	Progress func(done, total int)
	// CellTimeout bounds one cell, or one batch of cells run together; 0
	// means DefaultCellTimeout. A cell that takes longer is reported
	// unreached and the run goes on.
	CellTimeout time.Duration
	// Repeat runs the cells this many times (0 or 1: once), for soaks: a
	// cell whose answer changes between runs is a flip, reported unreached
	// with every answer it gave, never as one of them.
	Repeat int
}

// waitingWorkers is how many workers a run has by default where the
// witness reads whole tables (iphlpapi, netstat): there a cell spends most
// of its time waiting for another process (a table read, Wine's server), and
// the more cells wait at once, the more share one read. Under Wine on two
// CPUs here the default matrix took 34 s with 2 workers, 21 s with 8, 20 s
// with 16 and 21 s with 32. Each worker may start a helper process per
// other-process kind, so it is a number, not a multiple of the CPUs.
const waitingWorkers = 16

// batchCells is how many cells a worker runs together (runCells): enough
// that a helper process wakes once for many cells' second sockets, few
// enough that the ports held at once stay few.
const batchCells = 8

// DefaultCellTimeout is far above what any cell takes (microseconds to a
// few milliseconds; seconds under Wine): only a hung cell reaches it.
const DefaultCellTimeout = 30 * time.Second

// WitnessEnv forces a witness, for comparing them or for seeing how a run
// without one reports: "proc" reads /proc/net/tcp (Linux), "none" uses none.
const WitnessEnv = "BINDMATRIX_WITNESS"

// Run runs the cells on this machine and returns the observation, cells in
// the order given. Cancelling ctx stops it: no cell starts after, the
// helpers of cells under way are killed (which ends their blocking reads),
// and the cells not run are missing from the observation, which then
// describes nothing and is for the caller to drop.
func Run(ctx context.Context, cells []matrix.Cell, opt Options) *matrix.Observation {
	obs := runOnce(ctx, cells, opt)
	for pass := 1; pass < opt.Repeat && ctx.Err() == nil; pass++ {
		again := runOnce(ctx, cells, opt)
		for i, r := range again.Cells {
			obs.Cells[i] = merge(obs.Cells[i], r, pass)
		}
	}
	return obs
}

// merge folds the result of run pass+1 into what passes 1..pass gave: an
// unreached run leaves the answer of the others (and is counted in the
// note), a different answer is a flip.
func merge(so, r matrix.Result, pass int) matrix.Result {
	answer := func(r matrix.Result) string { return string(r.Outcome) + "/" + string(r.Delivery) }
	switch {
	case strings.Contains(so.Note, flipped):
		so.Note += fmt.Sprintf(", run %d: %s", pass+1, answer(r))
	case r.Outcome == matrix.Unreached:
		so.Note = strings.TrimPrefix(so.Note+fmt.Sprintf("; run %d unreached: %s", pass+1, r.Note), "; ")
	case so.Outcome == matrix.Unreached:
		r.Note = strings.TrimPrefix(r.Note+"; "+so.Note, "; ")
		return r
	case answer(r) != answer(so):
		so.Note = fmt.Sprintf("%s: runs 1-%d: %s, run %d: %s", flipped, pass, answer(so), pass+1, answer(r))
		so.Outcome, so.Delivery = matrix.Unreached, ""
	}
	return so
}

// flipped starts the note of a cell whose answer changed between runs.
const flipped = "FLIPPED between runs"

func runOnce(ctx context.Context, cells []matrix.Cell, opt Options) *matrix.Observation {
	shared := openSharedWitness()
	if shared != nil {
		defer shared.Close()
	}
	workers := opt.Parallel
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
		if shared != nil {
			workers = max(workers, waitingWorkers)
		}
	}
	workers = max(1, min(workers, len(cells)))
	timeout := opt.CellTimeout
	if timeout <= 0 {
		timeout = DefaultCellTimeout
	}
	results := make([]matrix.Result, len(cells))
	book := ports.NewBook()
	defer book.Close()
	var next, done atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			w := newWorker(book, shared)
			defer func() { w.close() }()
			for ctx.Err() == nil {
				start := int(next.Add(batchCells) - batchCells)
				if start >= len(cells) {
					return
				}
				batch := cells[start:min(start+batchCells, len(cells))]
				rs, finished := w.runWithin(ctx, batch, timeout)
				if !finished {
					// The hung cells keep their worker's witness and
					// helpers (closing them under it would be a race);
					// this goroutine goes on with new ones, and a witness
					// of its own: the shared one may be what hung.
					w = newWorker(book, nil)
					if len(batch) > 1 && ctx.Err() == nil {
						rs, w = runAlone(ctx, w, batch, timeout, book)
					}
				}
				copy(results[start:], rs)
				n := int(done.Add(int64(len(batch))))
				if opt.Progress != nil {
					opt.Progress(n, len(cells))
				}
			}
		})
	}
	wg.Wait()
	return &matrix.Observation{Schema: matrix.Schema, Platform: host.Platform(), Cells: results}
}

// worker is what one goroutine of a run needs for its cells: a witness
// (one serves one goroutine), and helper processes for the second sockets
// of other-process cells, started when first needed and replaced when one
// dies.
type worker struct {
	book       *ports.Book
	witness    witness.Witness
	witnessErr error
	// sharedWitness says the witness is the run's, closed by the run.
	sharedWitness bool
	helpers       child.Helpers
	// beforeSecond, when set (by tests), runs between the walk's proof of
	// the first socket's state and the second socket's attempt: where a
	// neighbour could act.
	beforeSecond func(first *walk.Held)
}

// newWorker makes a worker that takes its ports from book and asks shared,
// when not nil, where its sockets are; without, it opens a witness of its
// own.
func newWorker(book *ports.Book, shared *witness.Shared) *worker {
	w := &worker{book: book}
	if shared != nil {
		w.witness, w.sharedWitness = shared, true
	} else {
		w.witness, w.witnessErr = openWitness()
	}
	return w
}

// openWitness opens the witness WitnessEnv asks for, the best one by default.
func openWitness() (witness.Witness, error) {
	kind := os.Getenv(WitnessEnv)
	w, err := witness.Open(kind)
	if err != nil && kind != "" {
		err = fmt.Errorf("%s=%s: %w", WitnessEnv, kind, err)
	}
	return w, err
}

// openSharedWitness opens one witness for every worker of a run when its
// reads are costly (whole tables, milliseconds each under Wine): cells
// waiting at once then share one read. It is nil where each worker had
// better have its own (sock_diag answers one question per call).
func openSharedWitness() *witness.Shared {
	w, err := openWitness()
	if err != nil {
		return nil // each worker says why it has none
	}
	shared, ok := witness.NewShared(w)
	if !ok {
		w.Close()
		return nil
	}
	return shared
}

func (w *worker) close() {
	if !w.sharedWitness {
		w.witness.Close()
	}
	w.helpers.Stop()
}

// beforeCell, when set, runs before each cell; a test makes a cell hang
// with it. Atomic: a hung cell's goroutine may read it after the test ends.
var beforeCell atomic.Pointer[func(matrix.Cell)]

// runWithin runs cells together with a time limit. Cells past it are left
// to finish on their own (they close their own sockets when they do) and
// reported unreached; finished says whether they came back in time.
// Cancelling ctx kills the worker's helpers, so that cells waiting for one
// come back at once (the blocking reads end with the pipe), unreached.
func (w *worker) runWithin(ctx context.Context, cells []matrix.Cell, timeout time.Duration) (rs []matrix.Result, finished bool) {
	result := make(chan []matrix.Result, 1)
	go func() {
		if hook := beforeCell.Load(); hook != nil {
			for _, c := range cells {
				(*hook)(c)
			}
		}
		result <- w.runCells(cells)
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case rs := <-result:
		return rs, true
	case <-ctx.Done():
		w.helpers.Kill()
		select {
		case rs := <-result:
			return rs, true
		case <-timer.C:
		}
	case <-timer.C:
	}
	rs = make([]matrix.Result, len(cells))
	for i, c := range cells {
		rs[i] = matrix.Result{Cell: c, Outcome: matrix.Unreached,
			Note: fmt.Sprintf("the cell did not finish within %v", timeout)}
	}
	return rs, false
}

// runAlone runs cells one at a time on w after their batch hung, so that
// only the cell that hangs is reported for it, and returns the worker to go
// on with: a new one for each cell that hangs again.
func runAlone(ctx context.Context, w *worker, cells []matrix.Cell, timeout time.Duration, book *ports.Book) ([]matrix.Result, *worker) {
	rs := make([]matrix.Result, len(cells))
	for i, c := range cells {
		r, finished := w.runWithin(ctx, []matrix.Cell{c}, timeout)
		rs[i] = r[0]
		if !finished {
			w = newWorker(book, nil)
		}
	}
	return rs, w
}
