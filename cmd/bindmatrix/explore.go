package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"time"

	"github.com/bindmatrix/bindmatrix/internal/arrange"
	"github.com/bindmatrix/bindmatrix/internal/explore"
	"github.com/bindmatrix/bindmatrix/internal/host"
	"github.com/bindmatrix/bindmatrix/internal/lane"
	"github.com/bindmatrix/bindmatrix/internal/model"
	"github.com/bindmatrix/bindmatrix/internal/witness"
	"github.com/bindmatrix/bindmatrix/matrix"
	"github.com/bindmatrix/bindmatrix/report"
)

// cmdExplore looks for arrangements where this kernel and the model
// disagree.
func cmdExplore(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlags("explore", fmt.Sprintf("Run arrangements and compare each with the model of Linux bind(): first the %d of a systematic\n"+
		"space (pairs and triples of one protocol), then random ones of -seed up to -max-sockets sockets. A disagreement\n"+
		"is believed once it reproduces on fresh ports, then shrunk to a smallest arrangement in try notation.", explore.Systematic()), stderr)
	n := fs.Int("n", 10000, "check `N` arrangements")
	seed := fs.Uint64("seed", 1, "the random arrangements' `SEED`: the same seed gives the same arrangements")
	maxSockets := fs.Int("max-sockets", 24, "at most `K` sockets in a random arrangement (ranges count by their sockets)")
	parallel := fs.Int("parallel", 0, "arrangements to run at once (0: GOMAXPROCS)")
	budget := fs.Int("timewait-budget", 2000, "at most `N` arrangements that leave TIME_WAIT entries no one can remove (no SOCK_DESTROY without root); each keeps its port out of use a minute")
	jsonOut := fs.Bool("json", false, "print the exploration as JSON (schema 1)")
	under := fs.String("under", "", "run it in a lane: `LANE` is qemu (with -kernel)")
	kernel := fs.String("kernel", "", "with -under qemu: the Linux kernel image (`VMLINUZ`) to boot")
	if err := parse(fs, args); err != nil {
		return exitBadInput, err
	}
	switch {
	case *n < 1:
		return exitBadInput, usageErrorf("-n %d: give a count of arrangements, at least 1", *n)
	case *maxSockets < 2 || *maxSockets > matrix.MaxSockets:
		return exitBadInput, usageErrorf("-max-sockets %d: give 2 to %d", *maxSockets, matrix.MaxSockets)
	case *budget < 0:
		return exitBadInput, usageErrorf("-timewait-budget %d: give a count of arrangements, 0 for none", *budget)
	case *parallel < 0:
		return exitBadInput, usageErrorf("-parallel %d: give a count, or 0 for GOMAXPROCS", *parallel)
	case *under != "" && *under != "qemu":
		return exitBadInput, usageErrorf("-under %q: explore runs here or under qemu (Wine has no model)", *under)
	case *kernel != "" && *under != "qemu":
		return exitBadInput, usageErrorf("-kernel needs -under qemu")
	}
	var e *matrix.Exploration
	var err error
	if *under == "qemu" {
		inner := []string{"explore", "-json", "-n", strconv.Itoa(*n), "-seed", strconv.FormatUint(*seed, 10),
			"-max-sockets", strconv.Itoa(*maxSockets), "-timewait-budget", strconv.Itoa(*budget)}
		if *parallel > 0 {
			inner = append(inner, "-parallel", strconv.Itoa(*parallel))
		}
		// A guest under TCG checks a few thousand arrangements a second.
		extra := time.Duration(*n) * time.Millisecond
		var out []byte
		var code int
		code, out, err = lane.Command(ctx, lane.Config{Under: "qemu", Kernel: *kernel, Log: stderr, Extra: extra}, inner)
		if err == nil {
			if e, err = matrix.DecodeExploration("qemu lane", out); err != nil {
				err = fmt.Errorf("bindmatrix explore in the guest exited with %d: %w", code, err)
			}
		}
	} else {
		e, err = exploreHere(ctx, *n, *seed, *maxSockets, *parallel, *budget)
	}
	if errors.Is(err, errNoModel) {
		return exitIncomplete, err
	}
	if err != nil {
		return exitBadInput, err
	}
	if *jsonOut {
		data, err := json.MarshalIndent(e, "", "  ")
		if err != nil {
			return exitBadInput, err
		}
		if _, err := fmt.Fprintf(stdout, "%s\n", data); err != nil {
			return exitBadInput, err
		}
	} else {
		if err := report.Exploration(stdout, e); err != nil {
			return exitBadInput, err
		}
	}
	if e.Verdict == matrix.TrialKnown {
		return exitAgree, nil // every difference is one this kernel is known for
	}
	return trialExit(&matrix.Trial{Verdict: e.Verdict}), nil
}

// errNoModel says there is no model to compare with here.
var errNoModel = errors.New("no model")

// exploreHere explores on this machine's kernel.
func exploreHere(ctx context.Context, n int, seed uint64, maxSockets, parallel, budget int) (*matrix.Exploration, error) {
	p := host.Platform()
	if p.Name != "linux" {
		return nil, fmt.Errorf("%w: explore compares with the model of Linux bind(), and this is %s", errNoModel, p.Name)
	}
	if parallel == 0 {
		parallel = runtime.GOMAXPROCS(0)
	}
	w, err := witness.Open(witness.Best)
	name := w.Name()
	w.Close()
	if err != nil {
		return nil, fmt.Errorf("explore proves states and needs a witness: %w", err)
	}
	rep, err := explore.Run(ctx, explore.Config{N: n, Seed: seed, MaxSockets: maxSockets, Parallel: parallel, MaxTainting: budget, Kernel: p.Kernel,
		NewRunner: func() (explore.Runner, error) {
			w, err := witness.Open(witness.Best)
			if err != nil {
				w.Close()
				return nil, fmt.Errorf("explore proves states and needs a witness: %w", err)
			}
			return witnessedRunner{arrange.NewRunner(w), w}, nil
		}})
	if err != nil {
		return nil, err
	}
	e := &matrix.Exploration{Schema: matrix.ExplorationSchema, Platform: p, Witness: name, Seed: seed, N: n, MaxSockets: maxSockets,
		Systematic: min(n, explore.Systematic()), Checked: rep.Checked, Agreed: rep.Agreed, Unreached: rep.Unreached,
		Skipped: rep.Skipped, History: rep.History, Sockets: rep.Sockets, States: map[string]int{},
		Seconds: rep.Elapsed.Seconds(), Findings: []matrix.Finding{}}
	for s, count := range rep.States {
		e.States[s.String()] = count
	}
	for _, f := range rep.Findings {
		mf := matrix.Finding{Index: f.Index, Found: f.Found, Arrangement: f.Arrangement, Socket: f.Socket + 1,
			Observed: f.Observed, Predicted: f.Predicted, Rule: f.Rule, History: f.History, Count: f.Count, Deviation: f.Deviation}
		if d, ok := model.DeviationNamed(f.Deviation); ok {
			mf.Known = d.Known(p.Kernel)
		}
		e.Findings = append(e.Findings, mf)
	}
	e.Decide()
	return e, nil
}

// witnessedRunner closes its witness with the runner.
type witnessedRunner struct {
	*arrange.Runner
	w witness.Witness
}

func (r witnessedRunner) Close() { r.Runner.Close(); r.w.Close() }
