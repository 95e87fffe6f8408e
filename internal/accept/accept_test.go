package accept

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bindmatrix/bindmatrix/matrix"

	"github.com/bindmatrix/bindmatrix/internal/testenv"
)

var day = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func observation(name string, cells ...matrix.Result) *matrix.Observation {
	return &matrix.Observation{Schema: matrix.Schema, Cells: cells,
		Platform: matrix.Platform{Name: name, GOOS: "linux", GOARCH: "amd64", Kernel: "6.18.0", Go: "go1.26.8"}}
}

func result(state matrix.State, first matrix.Option, outcome matrix.Outcome) matrix.Result {
	return matrix.Result{Cell: matrix.NewCell(matrix.TCP, matrix.IPv4, state, matrix.Specific, matrix.Specific, first, matrix.None),
		Outcome: outcome, Witness: "test"}
}

// TestIntoWritesATableThatReadsBack: a new platform gets a table with the
// observed cells and a provenance naming where and when.
func TestIntoWritesATableThatReadsBack(t *testing.T) {
	dir := testenv.TempDir(t)
	obs := observation("testos", result(matrix.Bound, matrix.None, matrix.Failed("bind", "EADDRINUSE")), result(matrix.Closed, matrix.None, matrix.OK))
	s, err := Into(dir, obs, day)
	if err != nil {
		t.Fatal(err)
	}
	if s.Accepted != 2 || s.File != filepath.Join(dir, "testos.txt") {
		t.Errorf("summary %+v", s)
	}
	tab, err := matrix.ReadTable(os.DirFS(dir), dir, "testos")
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Entries) != 2 || !strings.Contains(tab.Provenance[0].Text, "testos kernel 6.18.0 linux/amd64 go1.26.8 2026-11-23") {
		t.Errorf("table: %d cells, provenance %v", len(tab.Entries), tab.Provenance)
	}
}

// TestIntoRefusesWhatWouldNotReadBack: a platform name that cannot name a
// file, or a field that would split the provenance line, is refused and
// nothing is written.
func TestIntoRefusesWhatWouldNotReadBack(t *testing.T) {
	for name, obs := range map[string]*matrix.Observation{
		"space in name": observation("lin ux", result(matrix.Bound, matrix.None, matrix.OK)),
		"path in name":  observation("../x", result(matrix.Bound, matrix.None, matrix.OK)),
		"newline in kernel": func() *matrix.Observation {
			o := observation("testos", result(matrix.Bound, matrix.None, matrix.OK))
			o.Platform.Kernel = "6.1\nscope x"
			return o
		}(),
	} {
		dir := testenv.TempDir(t)
		if _, err := Into(dir, obs, day); err == nil {
			t.Errorf("%s: accepted", name)
		}
		if entries, _ := os.ReadDir(dir); len(entries) > 1 { // the lock file may stay
			t.Errorf("%s: wrote %d files", name, len(entries))
		}
	}
}

// TestIntoLeavesNoHoles: an unreached cell without an expectation would
// leave the table incomplete: nothing is written.
func TestIntoLeavesNoHoles(t *testing.T) {
	dir := testenv.TempDir(t)
	unreached := result(matrix.TimeWait, matrix.None, matrix.Unreached)
	unreached.Note = "no witness"
	if _, err := Into(dir, observation("testos", unreached), day); !errors.Is(err, ErrHoles) {
		t.Fatalf("err %v, want ErrHoles", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "testos.txt")); !os.IsNotExist(err) {
		t.Errorf("a table was written: %v", err)
	}
}

// TestConcurrentAcceptsKeepEveryUpdate: two accepts of different cells at
// once both land; neither overwrites the other's.
func TestConcurrentAcceptsKeepEveryUpdate(t *testing.T) {
	dir := testenv.TempDir(t)
	var cells []matrix.Result
	for _, st := range matrix.States() {
		for _, o := range []matrix.Option{matrix.None, matrix.ReuseAddr, matrix.ReusePort} {
			cells = append(cells, result(st, o, matrix.OK))
		}
	}
	var wg sync.WaitGroup
	for _, r := range cells {
		wg.Go(func() {
			if _, err := Into(dir, observation("testos", r), day); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	tab, err := matrix.ReadTable(os.DirFS(dir), dir, "testos")
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Entries) != len(cells) {
		t.Errorf("%d of %d cells in the table", len(tab.Entries), len(cells))
	}
}

// TestOverrideHoldsWhatDiffers: a run that differs from the platform's
// table on some cells writes those cells, and only those, into an
// override naming its kernel; a second kernel with the same differences
// joins it; one with other differences, a run that agrees, and an
// unreached cell are refused and write nothing.
func TestOverrideHoldsWhatDiffers(t *testing.T) {
	dir := testenv.TempDir(t)
	base, err := matrix.LoadTable(matrix.BuiltinTables(), matrix.ExpectedDir, "linux")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "linux.txt"), base.Format(), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(kernel string, flip ...matrix.Cell) *matrix.Observation {
		obs := observation("linux")
		obs.Platform.Kernel = kernel
		for _, c := range matrix.AllCellsOn("linux") {
			e := base.Entries[c]
			r := matrix.Result{Cell: c, Outcome: e.Outcome, Delivery: e.Delivery, Witness: "test"}
			for _, f := range flip {
				if f == c {
					r.Outcome, r.Delivery = matrix.Failed("bind", "EACCES"), ""
				}
			}
			obs.Cells = append(obs.Cells, r)
		}
		return obs
	}
	none := func(matrix.Result) []string { return []string{"a-deviation"} }
	cells := matrix.AllCellsOn("linux")
	file := filepath.Join(dir, "kernels", "k.txt")

	if _, err := Override(dir, "k", run("k1"), day, none); err == nil || !strings.Contains(err.Error(), "agrees") {
		t.Errorf("a run that agrees: %v", err)
	}
	s, err := Override(dir, "k", run("k1", cells[3], cells[9]), day, none)
	if err != nil || s.Accepted != 2 {
		t.Fatalf("Override = %+v, %v", s, err)
	}
	if _, err := Override(dir, "k", run("k2", cells[3], cells[9]), day, none); err != nil {
		t.Fatal(err)
	}
	if _, err := Override(dir, "k", run("k3", cells[3]), day, none); err == nil || !strings.Contains(err.Error(), "other cells") {
		t.Errorf("other differences into the same override: %v", err)
	}
	unreached := run("k4", cells[3], cells[9])
	unreached.Cells[0].Outcome = matrix.Unreached
	if _, err := Override(dir, "k", unreached, day, none); !errors.Is(err, ErrHoles) {
		t.Errorf("an unreached cell: %v", err)
	}
	o, err := matrix.ReadOverride(os.DirFS(dir), dir, "linux", "k2")
	if err != nil || o == nil {
		t.Fatalf("ReadOverride: %v, %v", o, err)
	}
	if o.File != filepath.ToSlash(file) || len(o.Entries) != 2 || strings.Join(o.Kernels, " ") != "k1 k2" || strings.Join(o.Deviations, " ") != "a-deviation" || len(o.Provenance) != 2 {
		t.Errorf("override %s: %d cells, kernels %v, deviations %v, provenance %v", o.File, len(o.Entries), o.Kernels, o.Deviations, o.Provenance)
	}
}
