package matrix

import "slices"

// Comparison is an observation held against an expected table.
type Comparison struct {
	Platform    Platform
	Table       *Table
	Observed    []Result     // every observed cell, in the observation's order
	Compared    int          // observed cells with an expectation to hold them to
	Agree       int          // of those, how many matched
	Differences []Difference // observed outcome (or delivery) differs from the expected one
	Unreached   []Result     // the first socket's state could not be established or proven
	Unknown     []Result     // the table says unknown, has no such cell, or does not cover it
}

// Difference is a cell whose observation is not the expected one.
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
// cells: a known regression matters more than a missing answer. A comparison
// that compared nothing is incomplete, never an agreement.
func (c *Comparison) Verdict() Verdict {
	switch {
	case len(c.Differences) > 0:
		return Differ
	case len(c.Unreached) > 0 || c.Compared == 0:
		return Incomplete
	}
	return Agree
}

// expectation is what a cell is compared on: its outcome, and its delivery
// when the table names one.
type expectation struct {
	Outcome  Outcome
	Delivery Delivery
}

// Compare holds every observed cell to the table. A cell the table lacks is
// one a table could not be required to hold (outside its scope, or outside
// the default matrix, e.g. -only process=other-user): it has no expectation,
// like a cell the table marks unknown, and is listed as such.
func Compare(t *Table, obs *Observation) *Comparison {
	cmpn := &Comparison{Platform: obs.Platform, Table: t, Observed: obs.Cells}
	for _, r := range obs.Cells {
		e, ok := t.Entries[r.Cell]
		switch {
		case r.Outcome == Unreached:
			cmpn.Unreached = append(cmpn.Unreached, r)
			continue
		case !ok || e.Outcome == Unknown:
			cmpn.Unknown = append(cmpn.Unknown, r)
			continue
		}
		cmpn.Compared++
		want := expectation{e.Outcome, e.Delivery}
		got := expectation{r.Outcome, r.Delivery}
		if e.Delivery == "" {
			got.Delivery = "" // the table does not say
		}
		if got == want {
			cmpn.Agree++
		} else {
			cmpn.Differences = append(cmpn.Differences, Difference{Result: r, Expected: e})
		}
	}
	slices.SortFunc(cmpn.Differences, func(a, b Difference) int { return a.Cell.Compare(b.Cell) })
	return cmpn
}
