package runner

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/bindmatrix/bindmatrix/internal/host"
	"github.com/bindmatrix/bindmatrix/internal/testenv"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// SoakEnv asks for the soak: its value is the number of runs (200 in
// .ci/run). The soak is not part of the default test run.
const SoakEnv = "BINDMATRIX_SOAK"

// soakSpec selects the cells a soak repeats: the states a witness must
// prove, where a flip was once seen, for this process and another, on the
// classic families (1280 cells). The cross cells prove the same states the
// same way; with them a soak would take three times as long.
const soakSpec = "proto=tcp,state=time_wait,state=established,process=same,process=other,family=ipv4,family=ipv6,family=dual"

// TestSoak runs the TIME_WAIT and established cells again and again
// ($BINDMATRIX_SOAK times) and wants every answer the same every time and
// as the table has it: zero flips.
func TestSoak(t *testing.T) {
	testenv.SkipIfShort(t, "a soak: the same cells again and again")
	runs, _ := strconv.Atoi(os.Getenv(SoakEnv))
	if runs <= 0 {
		t.Skipf("skipped: the soak runs when %s=N (runs) is set; .ci/run sets it", SoakEnv)
	}
	f, _ := matrix.ParseFilter(soakSpec)
	platform := host.Platform()
	table, err := matrix.LoadTable(os.DirFS("../../matrix/expected"), "matrix/expected", platform.Name)
	if err != nil {
		t.Fatal(err)
	}
	obs := Run(context.Background(), f.CellsOn(platform.Name), Options{Repeat: runs})
	c := matrix.Compare(table, obs)
	for _, r := range c.Unreached {
		if strings.Contains(r.Note, flipped) {
			t.Errorf("%s: %s", r.Cell, r.Note)
		} else {
			t.Errorf("%s unreached in every run: %s", r.Cell, r.Note)
		}
	}
	for _, d := range c.Differences {
		t.Errorf("%s: %s in all %d runs, the table says %s", d.Cell, d.Outcome, runs, d.Expected.Outcome)
	}
	t.Logf("%d cells × %d runs: %d flips, %d differences", len(obs.Cells), runs, len(c.Unreached), len(c.Differences))
}

// TestRepeatReportsFlips: a cell that answers differently in one run is
// unreached with every answer in its note, never one of them; a run that
// could not reach the cell leaves the others' answer.
func TestRepeatReportsFlips(t *testing.T) {
	c := matrix.NewCell(matrix.TCP, matrix.IPv4, matrix.TimeWait, matrix.Specific, matrix.Specific, matrix.ReuseAddr, matrix.ReusePort)
	inUse := matrix.Result{Cell: c, Outcome: matrix.Failed("bind", "EADDRINUSE")}
	ok := matrix.Result{Cell: c, Outcome: matrix.OK}
	lost := matrix.Result{Cell: c, Outcome: matrix.Unreached, Note: "no witness"}

	r := merge(merge(inUse, ok, 1), inUse, 2)
	if r.Outcome != matrix.Unreached || !strings.Contains(r.Note, flipped) || !strings.Contains(r.Note, "run 2: ok") || !strings.Contains(r.Note, "run 3: bind:EADDRINUSE") {
		t.Errorf("a flip: %s %q", r.Outcome, r.Note)
	}
	r = merge(inUse, lost, 1)
	if r.Outcome != inUse.Outcome || !strings.Contains(r.Note, "run 2 unreached: no witness") {
		t.Errorf("one unreached run: %s %q", r.Outcome, r.Note)
	}
	r = merge(lost, inUse, 1)
	if r.Outcome != inUse.Outcome {
		t.Errorf("reached after an unreached first run: %s %q", r.Outcome, r.Note)
	}
}
