// Package explore looks for arrangements where this machine's kernel and
// the model of Linux bind() (internal/model) disagree: first every
// arrangement of a bounded systematic space, then random ones up to a
// number of sockets, each run for real (internal/arrange) and compared
// with the prediction. A disagreement is believed only once it reproduces
// on fresh ports; it is then shrunk to a smallest arrangement that still
// disagrees, printed in the try notation. The same seed gives the same
// arrangements in the same order.
package explore

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/bindmatrix/bindmatrix/internal/arrange"
	"github.com/bindmatrix/bindmatrix/internal/model"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// Config says what to explore.
type Config struct {
	N          int    // arrangements to check in all
	Seed       uint64 // of the random ones
	MaxSockets int    // of a random arrangement, ranges counted by their sockets
	Parallel   int    // workers, each with its own runner
	// NewRunner makes a worker's runner; Close is called on each.
	NewRunner func() (Runner, error)
	// MaxTainting bounds the arrangements run with TIME_WAIT or
	// established holders whose entries could not be removed (no
	// SOCK_DESTROY without root): each keeps its port out of use for a
	// minute, and ports outside the ephemeral range are few. Negative:
	// no bound.
	MaxTainting int
	// Progress, when set, is told of each arrangement checked.
	Progress func(done int)
	// Kernel is the release explored, to name its known deviations first.
	Kernel string
}

// Runner runs one arrangement; *arrange.Runner is one.
type Runner interface {
	Run(ctx context.Context, a matrix.Arrangement) (*arrange.Observation, error)
	Close()
}

// Report is what an exploration found.
type Report struct {
	Checked   int // arrangements run and compared
	Agreed    int
	Unreached int // a state could not be proven or did not hold: not compared
	// History counts the arrangements whose prediction rests on the bind
	// bucket's memory (model.Step.History), kept apart: they agreed, or
	// are among the findings marked so.
	History int
	Skipped int // not run: the TIME_WAIT budget was spent
	// States counts the holders by state, the mix of what was checked.
	States   map[matrix.State]int
	Sockets  int // made in all, probes included
	Findings []Finding
	Elapsed  time.Duration
}

// Finding is a disagreement that reproduced, shrunk.
type Finding struct {
	Index       int    // of the arrangement that found it
	Found       string // that arrangement
	Arrangement string // the smallest that still disagrees, in try notation
	Socket      int    // its disagreeing socket, from 0
	Observed    matrix.Outcome
	Predicted   matrix.Outcome
	Rule        string // the model's rule for its prediction
	History     bool   // the prediction rests on the bind bucket's memory
	Count       int    // arrangements that shrank to this one
	// Deviation names the known kernel deviation (model.Deviations) that
	// predicts what was observed, if one does.
	Deviation string
}

// Run explores. Its error is for an exploration that could not run (no
// runner, ctx done); disagreements are in the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	start := time.Now()
	cfg.Parallel = max(1, cfg.Parallel)
	cfg.MaxSockets = max(2, cfg.MaxSockets)
	type job struct {
		index int
		a     matrix.Arrangement
	}
	type done struct {
		index   int
		a       matrix.Arrangement
		outcome verdict
		finding *Finding
		err     error
	}
	jobs := make(chan job)
	results := make(chan done)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var startErr error
	started := 0
	budget := newBudget(cfg.MaxTainting)
	for range cfg.Parallel {
		r, err := cfg.NewRunner()
		if err != nil {
			startErr = err
			break
		}
		started++
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer r.Close()
			for j := range jobs {
				v, err := check(ctx, r, j.a, budget)
				d := done{index: j.index, a: j.a, outcome: v, err: err}
				if err == nil && v.disagrees() {
					d.finding = confirm(ctx, r, j.index, j.a, budget, cfg.Kernel)
				}
				select {
				case results <- d:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	if started == 0 {
		return nil, startErr
	}
	go func() {
		defer close(jobs)
		for i := range cfg.N {
			select {
			case jobs <- job{index: i, a: At(cfg.Seed, i, cfg.MaxSockets)}:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()
	rep := &Report{States: map[matrix.State]int{}}
	var runErr error
	for d := range results {
		if d.err != nil {
			if runErr == nil {
				runErr = d.err
				cancel()
			}
			continue
		}
		rep.add(d.a, d.outcome)
		if d.finding != nil {
			rep.Findings = append(rep.Findings, *d.finding)
		}
		if cfg.Progress != nil {
			cfg.Progress(rep.Checked + rep.Unreached + rep.Skipped)
		}
	}
	if runErr == nil {
		runErr = startErr
	}
	if err := ctx.Err(); runErr == nil && err != nil && rep.Checked+rep.Unreached+rep.Skipped < cfg.N {
		runErr = err
	}
	rep.Findings = distinct(rep.Findings)
	rep.Elapsed = time.Since(start)
	return rep, runErr
}

// At is arrangement i of an exploration: the systematic space first, then
// random ones of seed.
func At(seed uint64, i, maxSockets int) matrix.Arrangement {
	if i < Systematic() {
		return systematicAt(i)
	}
	return randomAt(seed, i, maxSockets)
}

// verdict is one arrangement's comparison.
type verdict struct {
	skipped   bool
	unreached bool
	history   bool // some prediction rests on the bucket's memory
	socket    int  // the first disagreeing socket, or -1
	observed  matrix.Outcome
	predicted model.Step
	outcomes  []matrix.Outcome // every socket's, observed
}

func (v verdict) disagrees() bool { return v.socket >= 0 }

// check runs a once and compares it with the model.
func check(ctx context.Context, r Runner, a matrix.Arrangement, b *budget) (verdict, error) {
	v := verdict{socket: -1}
	if holdsConnections(a) && !b.take() {
		v.skipped = true
		return v, nil
	}
	obs, err := r.Run(ctx, a)
	if err != nil {
		return v, err
	}
	if obs.Tainted {
		b.spend()
	}
	if obs.Unreached != "" {
		v.unreached = true
		return v, nil
	}
	predicted := model.Predict(a)
	for i, res := range obs.Results {
		v.outcomes = append(v.outcomes, res.Outcome)
		p := predicted[i]
		v.history = v.history || p.History
		if res.Outcome != p.Outcome && v.socket < 0 {
			v.socket, v.observed, v.predicted = i, res.Outcome, p
		}
	}
	return v, nil
}

func holdsConnections(a matrix.Arrangement) bool {
	return slices.ContainsFunc(a.Clauses, func(c matrix.Clause) bool {
		return c.State == matrix.TimeWait || c.State == matrix.Established
	})
}

// reproductions is how many fresh runs a disagreement must repeat in,
// each on a fresh port, before it is believed.
const reproductions = 2

// confirm runs a disagreement again on fresh ports and, if it holds every
// time, shrinks it. Nil when it did not reproduce (then it is counted as
// checked by its first run, but no finding is made of it).
func confirm(ctx context.Context, r Runner, index int, a matrix.Arrangement, b *budget, release string) *Finding {
	still := func(a matrix.Arrangement) (verdict, bool) {
		var first verdict
		for i := range reproductions {
			v, err := check(ctx, r, a, b)
			if err != nil || !v.disagrees() {
				return v, false
			}
			if i == 0 {
				first = v
			} else if v.socket != first.socket || v.observed != first.observed {
				return v, false
			}
		}
		return first, true
	}
	v, ok := still(a)
	if !ok {
		return nil
	}
	small, sv := shrinkKnown(a, v, still, release)
	if !sv.disagrees() {
		small, sv = shrink(a, v, still)
	}
	f := &Finding{Index: index, Found: a.String(), Arrangement: small.String(), Socket: sv.socket,
		Observed: sv.observed, Predicted: sv.predicted.Outcome, Rule: sv.predicted.Rule.ID, History: sv.predicted.History}
	if d, ok := model.Explains(small, sv.outcomes, release); ok {
		f.Deviation = d.Name
	}
	return f
}

// shrinkKnown shrinks a disagreement that a known deviation explains with
// that deviation's quirk as the oracle, no kernel run per candidate, and
// then confirms the smallest arrangement on the kernel. A verdict that
// does not disagree says it could not (no deviation explains it, or the
// kernel did not confirm): shrink for real then.
func shrinkKnown(a matrix.Arrangement, v verdict, still func(matrix.Arrangement) (verdict, bool), release string) (matrix.Arrangement, verdict) {
	d, ok := model.Explains(a, v.outcomes, release)
	if !ok {
		return a, verdict{socket: -1}
	}
	oracle := func(c matrix.Arrangement) (verdict, bool) {
		cv := verdict{socket: -1}
		predicted, quirky := model.Predict(c), model.PredictWith(c, d.Quirk)
		for i := range predicted {
			cv.outcomes = append(cv.outcomes, quirky[i].Outcome)
			if quirky[i].Outcome != predicted[i].Outcome && cv.socket < 0 {
				cv.socket, cv.observed, cv.predicted = i, quirky[i].Outcome, predicted[i]
			}
		}
		return cv, cv.disagrees()
	}
	small, _ := shrink(a, v, oracle)
	if sv, ok := still(small); ok {
		return small, sv
	}
	return a, verdict{socket: -1}
}

func (rep *Report) add(a matrix.Arrangement, v verdict) {
	switch {
	case v.skipped:
		rep.Skipped++
		return
	case v.unreached:
		rep.Unreached++
		return
	}
	rep.Checked++
	if !v.disagrees() {
		rep.Agreed++
	}
	if v.history {
		rep.History++
	}
	for _, s := range a.Sockets() {
		rep.Sockets++
		rep.States[s.State]++
	}
}

// String is the report's summary line.
func (rep *Report) String() string {
	return fmt.Sprintf("%d arrangements checked (%d sockets), %d agree with the model, %d disagree; %d unreached, %d skipped (TIME_WAIT budget), %d rest on the bind bucket's memory; %v",
		rep.Checked, rep.Sockets, rep.Agreed, rep.Checked-rep.Agreed, rep.Unreached, rep.Skipped, rep.History, rep.Elapsed.Round(time.Millisecond))
}

// distinct keeps one finding per smallest arrangement, the earliest, with
// the count of arrangements that shrank to it.
func distinct(fs []Finding) []Finding {
	slices.SortFunc(fs, func(a, b Finding) int { return a.Index - b.Index })
	var out []Finding
	at := map[string]int{}
	for _, f := range fs {
		if i, seen := at[f.Arrangement]; seen {
			out[i].Count++
			continue
		}
		f.Count = 1
		at[f.Arrangement] = len(out)
		out = append(out, f)
	}
	return out
}
