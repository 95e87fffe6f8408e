package runner

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/bindmatrix/bindmatrix/internal/host"
	"github.com/bindmatrix/bindmatrix/internal/testenv"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// A regression catcher that flakes is switched off within a week: these tests
// hold the runner to giving the same answers every time, and the right ones
// when another run shares the machine.

var determinismRuns = flag.Int("determinism.runs", 20, "back-to-back runs TestRunsAreDeterministic compares")

// classicCellsSpec selects the 640 classic cells: TCP, both sockets of one
// family (IPv4 or IPv6-only), bound by this process. It is a filter rather
// than a loop over the axes so that it keeps meaning the same cells when the
// matrix grows axes.
func classicCellsSpec() string {
	spec := "proto=tcp,family=ipv4,family=ipv6"
	if slices.Contains(matrix.FieldNames(), "process") {
		spec += ",process=same"
	}
	return spec
}

const classicCellCount = 2 * 5 * 4 * 4 * 4 // families × states × address pairs × option pairs

func classicTCPCells(tb testing.TB) []matrix.Cell {
	tb.Helper()
	filter, err := matrix.ParseFilter(classicCellsSpec())
	if err != nil {
		tb.Fatalf("filter %q: %v", classicCellsSpec(), err)
	}
	cells := filter.Select(matrix.AllCells())
	if len(cells) != classicCellCount {
		tb.Fatalf("filter %q selects %d cells of the default matrix, want the %d classic TCP cells (fields now: %s); update classicCellsSpec",
			classicCellsSpec(), len(cells), classicCellCount, strings.Join(matrix.FieldNames(), ", "))
	}
	return cells
}

// answers is what a run must repeat exactly: every field of every result
// except the evidence text (witness, note), which names the ports a run
// happened to get. It is taken from the observation's JSON so that fields
// added to results later are held to the same rule without touching this.
func answers(tb testing.TB, obs *matrix.Observation) map[string]map[string]any {
	tb.Helper()
	out := make(map[string]map[string]any, len(obs.Cells))
	for _, r := range obs.Cells {
		data, err := json.Marshal(r)
		if err != nil {
			tb.Fatalf("%s: %v", r.Cell, err)
		}
		var fields map[string]any
		if err := json.Unmarshal(data, &fields); err != nil {
			tb.Fatalf("%s: %v", r.Cell, err)
		}
		delete(fields, "witness")
		delete(fields, "note")
		out[r.Cell.Name()] = fields
	}
	return out
}

// unreachedCells lists the cells a run could not put into their state.
func unreachedCells(obs *matrix.Observation) []string {
	var out []string
	for _, r := range obs.Cells {
		if r.Outcome == matrix.Unreached {
			out = append(out, fmt.Sprintf("%s: %s", r.Cell, r.Note))
		}
	}
	return out
}

// TestRunsAreDeterministic runs the classic cells back to back and requires
// every run to answer every cell exactly as the first did. Leftovers of one
// cell (a TIME_WAIT entry on a port handed out again, a leaked descriptor)
// show up here as cells that flip.
func TestRunsAreDeterministic(t *testing.T) {
	testenv.SkipIfShort(t, "a soak: 20 back-to-back runs of the classic cells")
	cells := classicTCPCells(t)
	// And the same cells with the second socket in another process: the
	// helper serves many cells, and one cell's leftovers there would flip
	// another's answer as well.
	for _, c := range cells {
		c.Process = matrix.OtherProcess
		cells = append(cells, c)
	}
	runs := *determinismRuns
	if host.UnderWine() && runs == 20 {
		runs = 5 // a run takes Wine some 10 s; the soak is for flips
	}
	start := time.Now()
	first := Run(context.Background(), cells, Options{})
	if u := unreachedCells(first); len(u) > 0 {
		t.Fatalf("run 1: %d cells unreached:\n%s", len(u), strings.Join(u, "\n"))
	}
	want := answers(t, first)
	flipped := map[string][]int{} // cell → the runs that answered differently
	for run := 2; run <= runs; run++ {
		obs := Run(context.Background(), cells, Options{})
		got := answers(t, obs)
		for i, r := range obs.Cells {
			name := r.Cell.Name()
			if diff := cmp.Diff(want[name], got[name]); diff != "" {
				if len(flipped[name]) == 0 {
					t.Errorf("run %d: %s differs from run 1 (-run 1 +run %d):\n%s"+
						"run 1 witness: %s; note: %s\nrun %d witness: %s; note: %s",
						run, name, run, diff, first.Cells[i].Witness, first.Cells[i].Note, run, r.Witness, r.Note)
				}
				flipped[name] = append(flipped[name], run)
			}
		}
	}
	if len(flipped) > 0 {
		names := make([]string, 0, len(flipped))
		for name, runs := range flipped {
			names = append(names, fmt.Sprintf("  %s (runs %v)", name, runs))
		}
		slices.Sort(names)
		t.Errorf("%d of %d cells changed their answer within %d runs:\n%s", len(flipped), len(cells), runs, strings.Join(names, "\n"))
	}
	t.Logf("%d runs of %d cells in %v", runs, len(cells), time.Since(start).Round(time.Millisecond))
}

// TestConcurrentRunsAgreeWithTheTable starts two runs at the same moment in
// one process, each with its own workers and port book, and holds both to
// the expected table: cells of one run must never see the other's sockets.
func TestConcurrentRunsAgreeWithTheTable(t *testing.T) {
	cells := classicTCPCells(t)
	platform := host.Platform()
	table, err := matrix.LoadTable(os.DirFS("../../matrix/expected"), "matrix/expected", platform.Name)
	if err != nil {
		t.Fatalf("expected table for %s: %v", platform.Name, err)
	}
	const runs = 2
	observations := make([]*matrix.Observation, runs)
	ready := make(chan struct{})
	var wg sync.WaitGroup
	for i := range runs {
		wg.Go(func() {
			<-ready
			observations[i] = Run(context.Background(), cells, Options{})
		})
	}
	close(ready)
	wg.Wait()
	for i, obs := range observations {
		c := matrix.Compare(table, obs)
		for _, d := range c.Differences {
			t.Errorf("run %d: %s: observed %s, expected %s (%s:%d); witness: %s",
				i+1, d.Cell, d.Outcome, d.Expected.Outcome, table.File, d.Expected.Line, d.Witness)
		}
		for _, r := range c.Unreached {
			t.Errorf("run %d: %s unreached: %s", i+1, r.Cell, r.Note)
		}
		if v := c.Verdict(); v != matrix.Agree {
			t.Errorf("run %d: verdict %v: %d compared, %d agree, %d differ, %d unreached",
				i+1, v, c.Compared, c.Agree, len(c.Differences), len(c.Unreached))
		}
	}
}
