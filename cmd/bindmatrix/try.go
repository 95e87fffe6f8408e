package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/bindmatrix/bindmatrix/internal/arrange"
	"github.com/bindmatrix/bindmatrix/internal/host"
	"github.com/bindmatrix/bindmatrix/internal/lane"
	"github.com/bindmatrix/bindmatrix/internal/model"
	"github.com/bindmatrix/bindmatrix/internal/witness"
	"github.com/bindmatrix/bindmatrix/matrix"
	"github.com/bindmatrix/bindmatrix/report"
)

// cmdTry runs one arrangement and compares it with the model.
func cmdTry(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlags("try", "Run one arrangement ('tcp 0.0.0.0; tcp :: v6only; tcp 127.0.0.1', grammar in docs/arrangements.md):\n"+
		"each socket made in order, in its state, proven; every bind's observed outcome printed beside what the\n"+
		"model of Linux bind() predicts and the rule that decides it.", stderr)
	jsonOut := fs.Bool("json", false, "print the trial as JSON (schema 1)")
	under := fs.String("under", "", "run it in a lane: `LANE` is qemu (with -kernel) or wine")
	kernel := fs.String("kernel", "", "with -under qemu: the Linux kernel image (`VMLINUZ`) to boot")
	var tabs tables
	tabs.register(fs)
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return exitBadInput, err
		}
		return exitBadInput, usageErrorf("%v", err)
	}
	if fs.NArg() != 1 {
		return exitBadInput, usageErrorf("give one arrangement after the flags, in quotes: bindmatrix try [flags] 'tcp 0.0.0.0; tcp 127.0.0.1'")
	}
	a, err := matrix.ParseArrangement(fs.Arg(0))
	if err != nil {
		return exitBadInput, fmt.Errorf("%w: %v", errUsage, err)
	}
	var t *matrix.Trial
	switch *under {
	case "":
		if *kernel != "" {
			return exitBadInput, usageErrorf("-kernel needs -under qemu")
		}
		t, err = tryHere(ctx, a)
	case "qemu", "wine":
		t, err = tryInLane(ctx, lane.Config{Under: *under, Kernel: *kernel, Log: stderr}, a)
		if err == nil && *under == "wine" {
			err = compareWithTable(t, a, &tabs)
		}
	default:
		return exitBadInput, usageErrorf("-under %q: the lanes are qemu and wine", *under)
	}
	if err != nil {
		return exitBadInput, err
	}
	if *jsonOut {
		data, err := matrix.EncodeTrial(t)
		if err != nil {
			return exitBadInput, err
		}
		if _, err := stdout.Write(data); err != nil {
			return exitBadInput, err
		}
	} else if err := report.Trial(stdout, t); err != nil {
		return exitBadInput, err
	}
	return trialExit(t), nil
}

// trialExit is a trial's exit code: 0 agree, 1 differ, 3 unreached or no
// model to compare with.
func trialExit(t *matrix.Trial) int {
	switch t.Verdict {
	case matrix.TrialAgree:
		return exitAgree
	case matrix.TrialDiffer:
		return exitDiffer
	}
	return exitIncomplete
}

// tryHere runs the arrangement on this machine's kernel.
func tryHere(ctx context.Context, a matrix.Arrangement) (*matrix.Trial, error) {
	// Open never returns a nil witness: without one, None says why, and
	// the states that need a witness come out unreached.
	w, werr := witness.Open(witness.Best)
	r := arrange.NewRunner(w)
	defer func() { r.Close(); w.Close() }()
	obs, err := r.Run(ctx, a)
	if err != nil {
		return nil, err
	}
	t := trialOf(a, host.Platform(), obs)
	t.Witness = w.Name()
	if werr != nil {
		t.Witness += " (" + werr.Error() + ")"
	}
	return t, nil
}

// trialOf puts an observation beside the model's predictions, where the
// platform has a model (Linux).
func trialOf(a matrix.Arrangement, p matrix.Platform, obs *arrange.Observation) *matrix.Trial {
	t := &matrix.Trial{Schema: matrix.TrialSchema, Arrangement: a.String(), Platform: p, Port: obs.Port,
		Unreached: obs.Unreached, LookedAgain: obs.LookedAgain}
	var predicted []model.Step
	haveModel := p.Name == "linux"
	if haveModel {
		predicted = model.Predict(a)
		t.Model = "internal/model: Linux bind(), mainline's intended semantics (a prediction, not an observation)"
	} else {
		t.Model = fmt.Sprintf("no model for %s", p.Name)
	}
	for i, res := range obs.Results {
		s := matrix.TrialSocket{Clause: res.Socket.Clause, Socket: res.Socket.String(), Observed: res.Outcome,
			Native: res.Native, Evidence: res.Evidence, Note: res.Note}
		if haveModel {
			step := predicted[i]
			s.Predicted, s.Rule, s.RuleSource, s.History = step.Outcome, step.Rule.ID, step.Rule.Source, step.History
			s.Against = step.Against + 1
		}
		t.Sockets = append(t.Sockets, s)
	}
	t.Decide(haveModel)
	if t.Verdict == matrix.TrialDiffer {
		t.Deviation = deviationOf(a, obs, p.Kernel)
	}
	return t
}

// deviationOf names the documented deviation whose quirk predicts what a
// differing arrangement observed, if one does.
func deviationOf(a matrix.Arrangement, obs *arrange.Observation, release string) string {
	observed := make([]matrix.Outcome, len(obs.Results))
	for i, r := range obs.Results {
		observed[i] = r.Outcome
	}
	d, ok := model.Explains(a, observed, release)
	if !ok {
		return ""
	}
	seen := "not seen on this kernel before"
	if d.Known(release) {
		seen = "seen on this kernel before"
	}
	return fmt.Sprintf("%s (%s; %s; fix: %s)", d.Name, seen, d.Kernels, d.Fix)
}

// tryInLane runs `try -json` in a lane and reads its trial back.
func tryInLane(ctx context.Context, cfg lane.Config, a matrix.Arrangement) (*matrix.Trial, error) {
	code, out, err := lane.Command(ctx, cfg, []string{"try", "-json", a.String()})
	if err != nil {
		return nil, err
	}
	t, err := matrix.DecodeTrial(cfg.Under+" lane", out)
	if err != nil {
		return nil, fmt.Errorf("bindmatrix try in the %s lane exited with %d: %w", cfg.Under, code, err)
	}
	return t, nil
}

// errNoCell says an arrangement is none of the matrix's cells.
var errNoCell = errors.New("not a cell of the matrix")

// compareWithTable compares a two-socket trial with the platform's
// expected table, which is the only model Wine has: an arrangement that
// is one of the matrix's cells gets the table's outcome as its prediction.
func compareWithTable(t *matrix.Trial, a matrix.Arrangement, tabs *tables) error {
	c, err := cellOf(a, t.Platform.Name)
	if err != nil {
		t.Model = fmt.Sprintf("no model for %s: the arrangement is %v", t.Platform.Name, err)
		return nil
	}
	table, err := tabs.load(t.Platform.Name)
	if err != nil {
		return err
	}
	e, ok := table.Entries[c]
	if !ok || e.Outcome == matrix.Unknown {
		t.Model = fmt.Sprintf("no model for %s: %s has no outcome for cell %s", t.Platform.Name, table.File, c)
		return nil
	}
	t.Model = fmt.Sprintf("%s, cell %s (the expected table: a prediction for this run)", table.File, c)
	for i := range t.Sockets {
		s := &t.Sockets[i]
		s.Rule = "expected table"
		s.Predicted = matrix.OK // the cell's first socket is always made
		if i == len(t.Sockets)-1 {
			s.Predicted = e.Outcome
		}
	}
	t.Decide(true)
	return nil
}

// cellOf finds the cell of platform's matrix that a is.
func cellOf(a matrix.Arrangement, platform string) (matrix.Cell, error) {
	want := a.String()
	for _, c := range matrix.AllCellsOn(platform) {
		if c.Arrangement().String() == want {
			return c, nil
		}
	}
	return matrix.Cell{}, errNoCell
}
