package matrix

import (
	"bytes"
	"encoding/json"
	"slices"
)

// TrialSchema is the version of the trial document `bindmatrix try -json`
// writes; schema 2 added the deviation. The reader reads schema 1 too.
const TrialSchema = 2

// MaxTrialSize bounds a trial document: an arrangement of MaxSockets
// sockets with their evidence fits many times over.
const MaxTrialSize = 4 << 20

// Trial is one arrangement run on one kernel, beside what the model of
// that platform predicts. Observed and predicted stay apart in every
// socket: a model predicts, only a run observes.
type Trial struct {
	Schema      int      `json:"schema"`
	Arrangement string   `json:"arrangement"` // in canonical notation
	Platform    Platform `json:"platform"`
	Witness     string   `json:"witness,omitempty"` // what proved the states
	// LookedAgain says how the states were seen to hold once the last
	// socket had its answer.
	LookedAgain string        `json:"looked_again,omitempty"`
	Port        uint16        `json:"port"`
	Sockets     []TrialSocket `json:"sockets"`
	// Unreached says why the observed outcomes cannot be believed: a
	// state not proven or that did not hold, a stranger on the port.
	Unreached string `json:"unreached,omitempty"`
	// Model names the model the predictions come from, or says why there
	// is none ("no model for wine").
	Model   string       `json:"model"`
	Verdict TrialVerdict `json:"verdict"`
	// Deviation names the documented kernel deviation (internal/model)
	// that predicts exactly what a differing trial observed, with its fix
	// and whether it was seen on this kernel before (schema 2).
	Deviation string `json:"deviation,omitempty"`
}

// TrialSocket is one socket of a trial.
type TrialSocket struct {
	Clause   int     `json:"clause"` // of the arrangement, from 1
	Socket   string  `json:"socket"` // in notation, one socket
	Observed Outcome `json:"observed"`
	Native   int     `json:"native,omitempty"`
	Evidence string  `json:"evidence,omitempty"`
	Note     string  `json:"note,omitempty"`
	// The model's prediction, when there is a model.
	Predicted  Outcome `json:"predicted,omitempty"`
	Rule       string  `json:"rule,omitempty"`        // the rule that decided it
	RuleSource string  `json:"rule_source,omitempty"` // the kernel source it follows
	Against    int     `json:"against,omitempty"`     // the socket that decided it, from 1; 0 for none
	History    bool    `json:"history,omitempty"`     // decided by the bind bucket's memory
}

// TrialVerdict sums a trial up.
type TrialVerdict string

const (
	TrialAgree     TrialVerdict = "agree"     // every socket as the model predicts
	TrialDiffer    TrialVerdict = "differ"    // at least one socket not as predicted
	TrialUnreached TrialVerdict = "unreached" // a state was not proven: nothing compared
	TrialNoModel   TrialVerdict = "no-model"  // observed only
	// TrialKnown: every difference is a deviation already seen on this
	// kernel (explore only).
	TrialKnown TrialVerdict = "known"
)

var trialVerdicts = []TrialVerdict{TrialAgree, TrialDiffer, TrialUnreached, TrialNoModel}

// Decide sets the verdict from the sockets, the unreached reason and
// whether a model predicted them.
func (t *Trial) Decide(haveModel bool) {
	switch {
	case t.Unreached != "":
		t.Verdict = TrialUnreached
	case !haveModel:
		t.Verdict = TrialNoModel
	default:
		t.Verdict = TrialAgree
		for _, s := range t.Sockets {
			if s.Observed != s.Predicted {
				t.Verdict = TrialDiffer
			}
		}
	}
}

// EncodeTrial writes t as indented JSON.
func EncodeTrial(t *Trial) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(t); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// DecodeTrial reads a trial document. Every defect, from broken JSON to
// an unknown field, an arrangement that does not parse, or a verdict its
// sockets contradict, is an *InputError naming the file.
func DecodeTrial(file string, data []byte) (*Trial, error) {
	if len(data) > MaxTrialSize {
		return nil, inputErrorf(file, 0, 0, "%d bytes: more than a trial document's %d", len(data), MaxTrialSize)
	}
	var t Trial
	if err := decodeStrict(file, data, &t, "trial"); err != nil {
		return nil, err
	}
	if t.Schema < 1 || t.Schema > TrialSchema || t.Schema == 1 && t.Deviation != "" {
		return nil, inputErrorf(file, 0, 0, "schema %d is not supported with these fields (this bindmatrix reads trial schemas 1 to %d; deviation is schema 2's)", t.Schema, TrialSchema)
	}
	if t.Deviation != "" && t.Verdict != TrialDiffer {
		return nil, inputErrorf(file, 0, 0, "a deviation explains a differing trial, not a %s one", t.Verdict)
	}
	a, err := ParseArrangement(t.Arrangement)
	if err != nil {
		return nil, inputErrorf(file, 0, 0, "arrangement: %v", err)
	}
	if n := len(a.Sockets()); len(t.Sockets) > n {
		return nil, inputErrorf(file, 0, 0, "%d sockets for an arrangement of %d", len(t.Sockets), n)
	}
	for i, s := range t.Sockets {
		if _, err := ParseOutcome(string(s.Observed)); err != nil {
			return nil, inputErrorf(file, 0, 0, "socket %d: observed: %v", i+1, err)
		}
		if s.Predicted != "" {
			if _, err := ParseOutcome(string(s.Predicted)); err != nil {
				return nil, inputErrorf(file, 0, 0, "socket %d: predicted: %v", i+1, err)
			}
		}
	}
	want := t
	want.Decide(t.Verdict != TrialNoModel)
	switch {
	case !slices.Contains(trialVerdicts, t.Verdict):
		return nil, inputErrorf(file, 0, 0, "verdict %q (valid: agree, differ, unreached, no-model)", t.Verdict)
	case want.Verdict != t.Verdict:
		return nil, inputErrorf(file, 0, 0, "verdict %q, but its sockets say %q", t.Verdict, want.Verdict)
	}
	return &t, nil
}
