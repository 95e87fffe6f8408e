package matrix

import (
	"slices"

	"github.com/google/go-cmp/cmp"
)

// Comparison is an observation held against an expected table.
type Comparison struct {
	Platform    Platform
	Table       *Table
	Observed    []Result     // every observed cell, in the observation's order
	Compared    int          // observed cells with an expectation to hold them to
	Agree       int          // of those, how many matched
	Differences []Difference // observed outcome differs from the expected one
	Unreached   []Result     // the first socket's state could not be established or proven
	Unknown     []Result     // the table does not know what should happen
}

// Difference is a cell whose observed outcome is not the expected one.
type Difference struct {
	Result
	Expected Entry
}

// Verdict is the summary a run ends with.
type Verdict int

const (
	Agree      Verdict = iota // every compared cell matched
	Differ                    // at least one cell differs
	Incomplete                // nothing differs, but some cells could not be run
)

// Verdict says how the comparison came out. Differences win over unreached
// cells: a known regression matters more than a missing answer.
func (c *Comparison) Verdict() Verdict {
	switch {
	case len(c.Differences) > 0:
		return Differ
	case len(c.Unreached) > 0:
		return Incomplete
	}
	return Agree
}

// Compare holds every observed cell to the table.
func Compare(t *Table, obs *Observation) *Comparison {
	cmpn := &Comparison{Platform: obs.Platform, Table: t, Observed: obs.Cells}
	want := map[Cell]Outcome{}
	got := map[Cell]Outcome{}
	for _, r := range obs.Cells {
		e, ok := t.Entries[r.Cell]
		switch {
		case r.Outcome == Unreached:
			cmpn.Unreached = append(cmpn.Unreached, r)
			continue
		case !ok:
			// A cell the table has never heard of: the matrix grew and the
			// table was not regenerated. Show it as a difference.
			cmpn.Differences = append(cmpn.Differences, Difference{Result: r})
			continue
		case e.Outcome == Unknown:
			cmpn.Unknown = append(cmpn.Unknown, r)
			continue
		}
		cmpn.Compared++
		want[r.Cell] = e.Outcome
		got[r.Cell] = r.Outcome
	}
	if cmp.Equal(want, got) {
		cmpn.Agree = cmpn.Compared
		return cmpn
	}
	for _, r := range obs.Cells {
		w, ok := want[r.Cell]
		if !ok {
			continue
		}
		if cmp.Equal(w, r.Outcome) {
			cmpn.Agree++
		} else {
			cmpn.Differences = append(cmpn.Differences, Difference{Result: r, Expected: t.Entries[r.Cell]})
		}
	}
	sortDifferences(cmpn.Differences)
	return cmpn
}

func sortDifferences(ds []Difference) {
	slices.SortFunc(ds, func(a, b Difference) int { return a.Cell.Compare(b.Cell) })
}
