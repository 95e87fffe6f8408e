// Package accept folds an observation into its platform's expected table
// file: observed outcomes replace expected ones, comments stay where they
// were, and the provenance names where and when the observation was made.
// The file is written only once the new table reads back with the same
// reader check uses, under a lock, and atomically.
package accept

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/bindmatrix/bindmatrix/internal/atomicfile"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// Summary says what an accept did.
type Summary struct {
	File     string
	Accepted int // observed cells written
	Kept     int // unreached cells that kept their old expectation
	Outside  int // cells outside the table's scope, left out
	Scope    matrix.Filter
	// Agreed says the run saw every cell as the table has it, on another
	// kernel: the table records the agreement and keeps its origin.
	Agreed bool
}

// ErrHoles says unreached cells have no expectation to keep, so the table
// would be incomplete: nothing was written.
var ErrHoles = errors.New("unreached cells have no expectation yet")

// tableName is what a platform name must look like to name a table file.
var tableName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

// lockName is the lock file beside the tables, held while one is rewritten
// so that two accepts at once do not lose an update.
const lockName = ".bindmatrix.lock"

// Into folds obs into dir/PLATFORM.txt; today dates the provenance.
func Into(dir string, obs *matrix.Observation, today time.Time) (Summary, error) {
	p := obs.Platform
	if !tableName.MatchString(p.Name) {
		return Summary{}, fmt.Errorf("platform name %q cannot name a table file (want lower case letters, digits, '.', '_' or '-')", p.Name)
	}
	for _, field := range []string{p.Kernel, p.GOOS, p.GOARCH, p.Go} {
		if strings.ContainsFunc(field, func(r rune) bool { return r < ' ' || r == 0x7f }) {
			return Summary{}, fmt.Errorf("platform field %q holds a control character: it would break the table's provenance line", field)
		}
	}
	unlock, err := atomicfile.Lock(filepath.Join(dir, lockName))
	if err != nil {
		return Summary{}, err
	}
	defer unlock()

	file := filepath.Join(dir, p.Name+".txt")
	table, err := matrix.ReadTable(os.DirFS(dir), dir, p.Name)
	if errors.Is(err, matrix.ErrNoTable) {
		table, err = matrix.NewTable(file, p.Name), nil
	}
	if err != nil {
		return Summary{}, err
	}
	prov := provenance(p, today)
	if all := len(matrix.AllCellsOn(p.Name)); len(obs.Cells) < all {
		prov += fmt.Sprintf(" (%d of %d cells)", len(obs.Cells), all)
	}
	unaccepted := table.Accept(obs, matrix.Provenance{Kind: "observed", Text: prov})
	s := Summary{File: file, Accepted: len(obs.Cells) - len(unaccepted), Scope: table.Scope,
		Agreed: slices.ContainsFunc(table.Provenance, func(q matrix.Provenance) bool { return q.Kind == "agreed" && q.Text == prov })}
	var holes []string
	for _, r := range unaccepted {
		_, had := table.Entries[r.Cell]
		switch {
		case !table.Covers(r.Cell):
			s.Outside++
		case !had:
			holes = append(holes, fmt.Sprintf("  %s: %s", r.Cell, r.Note))
		default:
			s.Kept++
		}
	}
	if len(holes) > 0 {
		return s, fmt.Errorf("not writing %s: %w (%d):\n%s", file, ErrHoles, len(holes), strings.Join(holes, "\n"))
	}
	data := table.Format()
	if _, err := matrix.ParseTable(file, data); err != nil {
		return s, fmt.Errorf("not writing %s: the new table would not read back: %w", file, err)
	}
	return s, atomicfile.WriteFile(file, data, 0o644)
}

func provenance(p matrix.Platform, today time.Time) string {
	return fmt.Sprintf("%s kernel %s %s/%s %s %s", p.Name, p.Kernel, p.GOOS, p.GOARCH, p.Go, today.UTC().Format("2006-01-02"))
}

// Override writes the cells where obs differs from its platform's table in
// dir into the kernel override dir/kernels/NAME.txt (matrix.KernelsDir):
// a new file, or, when NAME exists and holds exactly those cells with
// those outcomes, one more 'kernel RELEASE' and provenance line in it.
// explain names the deviations that explain a differing cell, if any
// does; they become the file's 'deviation' lines.
func Override(dir, name string, obs *matrix.Observation, today time.Time, explain func(matrix.Result) []string) (Summary, error) {
	p := obs.Platform
	if !tableName.MatchString(name) {
		return Summary{}, fmt.Errorf("override name %q cannot name a file (want lower case letters, digits, '.', '_' or '-')", name)
	}
	if !tableName.MatchString(p.Kernel) {
		return Summary{}, fmt.Errorf("kernel release %q cannot name a kernel line", p.Kernel)
	}
	unlock, err := atomicfile.Lock(filepath.Join(dir, lockName))
	if err != nil {
		return Summary{}, err
	}
	defer unlock()
	base, err := matrix.LoadTable(os.DirFS(dir), dir, p.Name)
	if err != nil {
		return Summary{}, err
	}
	c := matrix.Compare(base, obs)
	if len(c.Unreached) > 0 {
		return Summary{}, fmt.Errorf("not writing an override: %w: %d cells unreached, first %s", ErrHoles, len(c.Unreached), c.Unreached[0].Cell)
	}
	if len(c.Differences) == 0 {
		return Summary{}, fmt.Errorf("%s %s agrees with %s on every cell: no override to write (accept it without -override)", p.Name, p.Kernel, base.File)
	}
	file := filepath.Join(dir, matrix.KernelsDir, name+".txt")
	o := matrix.NewTable(file, p.Name)
	var deviations []string
	for _, d := range c.Differences {
		e := matrix.Entry{Outcome: d.Result.Outcome}
		if d.Result.Outcome == matrix.OK && matrix.DeliveryApplies(d.Cell) {
			e.Delivery = d.Result.Delivery
		}
		o.Entries[d.Cell] = e
		for _, dev := range explain(d.Result) {
			if !slices.Contains(deviations, dev) {
				deviations = append(deviations, dev)
			}
		}
	}
	prov := matrix.Provenance{Kind: "observed", Text: provenance(p, today)}
	s := Summary{File: file, Accepted: len(o.Entries)}
	if data, err := os.ReadFile(file); err == nil {
		old, err := matrix.ParseTable(file, data)
		if err != nil {
			return s, err
		}
		if !sameEntries(old, o) {
			return s, fmt.Errorf("%s holds other cells than the %d where %s differs: name another override", file, len(o.Entries), p.Kernel)
		}
		if !slices.Contains(old.Kernels, p.Kernel) {
			old.Kernels = append(old.Kernels, p.Kernel)
		}
		old.Provenance = append(old.Provenance, prov)
		o = old
	} else if !errors.Is(err, os.ErrNotExist) {
		return s, err
	} else {
		o.Kernels, o.Deviations, o.Provenance = []string{p.Kernel}, deviations, []matrix.Provenance{prov}
	}
	data := o.Format()
	if _, err := matrix.ParseTable(file, data); err != nil {
		return s, fmt.Errorf("not writing %s: it would not read back: %w", file, err)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return s, err
	}
	return s, atomicfile.WriteFile(file, data, 0o644)
}

// sameEntries says whether two overrides hold the same cells, outcomes and
// deliveries.
func sameEntries(a, b *matrix.Table) bool {
	if len(a.Entries) != len(b.Entries) {
		return false
	}
	for c, e := range a.Entries {
		f, ok := b.Entries[c]
		if !ok || f.Outcome != e.Outcome || f.Delivery != e.Delivery {
			return false
		}
	}
	return true
}
