package matrix

import (
	"fmt"
	"slices"
)

// ExplorationSchema is the version of the document `bindmatrix explore
// -json` writes.
const ExplorationSchema = 1

// Exploration is an exploration's report: how many arrangements were run
// and compared with the model, and the disagreements, each shrunk to a
// smallest arrangement in try notation.
type Exploration struct {
	Schema     int      `json:"schema"`
	Platform   Platform `json:"platform"`
	Witness    string   `json:"witness"` // what proved the arrangements' states
	Seed       uint64   `json:"seed"`
	N          int      `json:"n"`           // arrangements asked for
	MaxSockets int      `json:"max_sockets"` // of a random arrangement
	Systematic int      `json:"systematic"`  // of the N, how many came from the systematic space
	Checked    int      `json:"checked"`     // run and compared
	Agreed     int      `json:"agreed"`
	Unreached  int      `json:"unreached"` // a state not proven: not compared
	Skipped    int      `json:"skipped"`   // not run: the TIME_WAIT budget was spent
	History    int      `json:"history"`   // predictions that rest on the bind bucket's memory
	Sockets    int      `json:"sockets"`   // made in the compared arrangements
	// States counts the compared arrangements' sockets by state.
	States   map[string]int `json:"states"`
	Findings []Finding      `json:"findings"`
	Seconds  float64        `json:"seconds"`
	Verdict  TrialVerdict   `json:"verdict"`
}

// Finding is a disagreement between kernel and model that reproduced on
// fresh ports, shrunk.
type Finding struct {
	Index       int     `json:"index"`       // of the arrangement that found it
	Found       string  `json:"found"`       // that arrangement
	Arrangement string  `json:"arrangement"` // the smallest that still disagrees
	Socket      int     `json:"socket"`      // its disagreeing socket, from 1
	Observed    Outcome `json:"observed"`
	Predicted   Outcome `json:"predicted"`
	Rule        string  `json:"rule"`
	History     bool    `json:"history,omitempty"`
	Count       int     `json:"count"` // arrangements that shrank to it
	// Deviation names the known kernel deviation that predicts what was
	// observed; Known says this harness saw it on this kernel before.
	Deviation string `json:"deviation,omitempty"`
	Known     bool   `json:"known,omitempty"`
}

// Decide sets the verdict: differ with a finding that is no known
// deviation of this kernel, known when every finding is one, unreached
// when nothing was compared, agree otherwise. Arrangements left unreached
// are counted, not believed: a few among many do not make the exploration
// incomplete.
func (e *Exploration) Decide() {
	switch {
	case slices.ContainsFunc(e.Findings, func(f Finding) bool { return !f.Known }):
		e.Verdict = TrialDiffer
	case len(e.Findings) > 0:
		e.Verdict = TrialKnown
	case e.Checked == 0:
		e.Verdict = TrialUnreached
	default:
		e.Verdict = TrialAgree
	}
}

// DecodeExploration reads an exploration document, strictly.
func DecodeExploration(file string, data []byte) (*Exploration, error) {
	if len(data) > MaxTrialSize {
		return nil, inputErrorf(file, 0, 0, "%d bytes: more than an exploration document's %d", len(data), MaxTrialSize)
	}
	var e Exploration
	if err := decodeStrict(file, data, &e, "exploration"); err != nil {
		return nil, err
	}
	if e.Schema != ExplorationSchema {
		return nil, inputErrorf(file, 0, 0, "schema %d is not supported (this bindmatrix reads exploration schema %d)", e.Schema, ExplorationSchema)
	}
	if e.Agreed > e.Checked || e.Checked+e.Unreached+e.Skipped > e.N {
		return nil, inputErrorf(file, 0, 0, "counts contradict each other: %d agreed of %d checked, %d checked+unreached+skipped of %d", e.Agreed, e.Checked, e.Checked+e.Unreached+e.Skipped, e.N)
	}
	for i, f := range e.Findings {
		if _, err := ParseArrangement(f.Arrangement); err != nil {
			return nil, inputErrorf(file, 0, 0, "finding %d: %v", i+1, err)
		}
	}
	want := e
	want.Decide()
	if want.Verdict != e.Verdict {
		return nil, inputErrorf(file, 0, 0, "verdict %q, but its counts say %q", e.Verdict, want.Verdict)
	}
	return &e, nil
}

// String is the exploration's summary line.
func (e *Exploration) String() string {
	return fmt.Sprintf("%d arrangements checked (%d sockets), %d agree with the model, %d disagree; %d unreached, %d skipped (TIME_WAIT budget), %d rest on the bind bucket's memory",
		e.Checked, e.Sockets, e.Agreed, e.Checked-e.Agreed, e.Unreached, e.Skipped, e.History)
}
