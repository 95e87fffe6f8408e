package matrix

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Evidence per cell comes in three kinds, kept apart: what documentation
// says (a vendor page, a man page, kernel source), what real runs elsewhere
// reported (a test passing on a named CI platform, a printed run), and what
// this harness observed. A table names its sources in `source` lines; a
// cell line carries its claims as documented=, reported= and by= words.

// SourceKind is the kind of a source, from the weakest to the strongest.
type SourceKind string

const (
	Documented SourceKind = "documented"
	// ReportedUnproven is a real run that never proved the first socket's
	// state (it slept, and assumed TIME_WAIT): weaker than one that did.
	ReportedUnproven SourceKind = "reported-unproven"
	Reported         SourceKind = "reported"
	Observed         SourceKind = "observed"
)

var sourceKinds = []SourceKind{Documented, ReportedUnproven, Reported, Observed}

// strength orders the kinds: observed > reported > reported-unproven >
// documented.
func (k SourceKind) strength() int { return slices.Index(sourceKinds, k) }

// ParseSourceKind checks a kind's spelling.
func ParseSourceKind(s string) (SourceKind, error) {
	if k := SourceKind(s); slices.Contains(sourceKinds, k) {
		return k, nil
	}
	return "", fmt.Errorf("unknown source kind %q (valid: documented, reported, reported-unproven, observed)", s)
}

// Source is one `source ID KIND TEXT` line of a table: where claims come
// from, named so that cell lines can cite it.
type Source struct {
	ID   string
	Kind SourceKind
	Text string
	Line int
}

var sourceID = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

// Claim is one source's word on a cell's outcome.
type Claim struct {
	Outcome Outcome
	Source  string // a source ID; empty: the table's documented provenance
}

// Agrees says the claim allows the outcome: the same outcome, or any
// failure where the claim only says the second socket fails.
func (c Claim) Agrees(o Outcome) bool {
	return c.Outcome == o || c.Outcome == Fails && o.IsFailure()
}

func (c Claim) String() string {
	if c.Source == "" {
		return string(c.Outcome)
	}
	return string(c.Outcome) + "@" + c.Source
}

// parseClaims reads "OUTCOME@ID,OUTCOME@ID" (the @ID may be left out when
// anonymous is allowed). OUTCOME may also be "fails", for a run that only
// asserted a failure.
func parseClaims(value string, anonymous bool) ([]Claim, error) {
	var claims []Claim
	for _, part := range strings.Split(value, ",") {
		out, src, hasSrc := strings.Cut(part, "@")
		o, err := ParseOutcome(out)
		if Outcome(out) == Fails {
			o, err = Fails, nil
		}
		if err != nil {
			return nil, err
		}
		if o == Unreached || o == Unknown {
			return nil, fmt.Errorf("a claim is an outcome, not %s", o)
		}
		if !hasSrc && !anonymous {
			return nil, fmt.Errorf("%q names no source: write OUTCOME@SOURCE", part)
		}
		if hasSrc && !sourceID.MatchString(src) {
			return nil, fmt.Errorf("%q: source id %q", part, src)
		}
		claims = append(claims, Claim{Outcome: o, Source: src})
	}
	return claims, nil
}

func formatClaims(claims []Claim) string {
	var parts []string
	for _, c := range claims {
		parts = append(parts, c.String())
	}
	return strings.Join(parts, ",")
}

// Evidence is everything a table holds about one cell.
type Evidence struct {
	Outcome    Outcome    // what check compares with: the strongest evidence
	Kind       SourceKind // the kind of Outcome
	By         string     // the source of Outcome, when a source line names it
	Documented []Claim    // what documentation says, where the table records it
	Reported   []Claim    // what real runs elsewhere reported
	sources    map[string]Source
}

// Source looks up a claim's source.
func (e Evidence) Source(id string) (Source, bool) {
	s, ok := e.sources[id]
	return s, ok
}

// Disputed says the kinds of evidence disagree: the docs against real runs
// or against this harness, or real runs among themselves.
func (e Evidence) Disputed() bool {
	if e.Outcome == Unknown {
		return false
	}
	for _, c := range append(slices.Clone(e.Documented), e.Reported...) {
		if !c.Agrees(e.Outcome) {
			return true
		}
	}
	return false
}

// DocumentedOutcome is what documentation says of the cell, if the table
// knows: its documented= claim, or the outcome itself where that is the
// documentation's.
func (e Evidence) DocumentedOutcome() (Outcome, bool) {
	if len(e.Documented) > 0 {
		return e.Documented[0].Outcome, true
	}
	if e.Kind == Documented {
		return e.Outcome, true
	}
	return "", false
}

// Evidence gathers a cell's evidence.
func (t *Table) Evidence(c Cell) Evidence {
	e := t.Entries[c]
	ev := Evidence{Outcome: e.Outcome, Kind: t.columnKind(e), By: e.By, Documented: e.Documented, Reported: e.Reported, sources: map[string]Source{}}
	for _, s := range t.Sources {
		ev.sources[s.ID] = s
	}
	return ev
}

// defaultKind is the kind of a cell's outcome that names no source: the
// kind of the table's first provenance.
func (t *Table) defaultKind() SourceKind {
	if len(t.Provenance) > 0 && t.Provenance[0].Kind == "observed" {
		return Observed
	}
	return Documented
}

// columnKind is the kind of an entry's outcome: its by= source's, the
// table's observed provenance's, or else the strongest reported claim's
// when the outcome is that claim's, else documented.
func (t *Table) columnKind(e Entry) SourceKind {
	if e.By != "" {
		if s, ok := t.source(e.By); ok {
			return s.Kind
		}
	}
	if t.defaultKind() == Observed {
		return Observed
	}
	if kind, outcomes := t.strongestReported(e); kind != "" && slices.Contains(outcomes, e.Outcome) {
		return kind
	}
	return Documented
}

// strongestReported is the strongest kind among an entry's reported claims
// and the outcomes claimed at that strength.
func (t *Table) strongestReported(e Entry) (SourceKind, []Outcome) {
	var kind SourceKind
	var outcomes []Outcome
	for _, c := range e.Reported {
		s, _ := t.source(c.Source)
		switch {
		case kind == "" || s.Kind.strength() > kind.strength():
			kind, outcomes = s.Kind, []Outcome{c.Outcome}
		case s.Kind == kind && !slices.Contains(outcomes, c.Outcome):
			outcomes = append(outcomes, c.Outcome)
		}
	}
	return kind, outcomes
}

func (t *Table) source(id string) (Source, bool) {
	i := slices.IndexFunc(t.Sources, func(s Source) bool { return s.ID == id })
	if i < 0 {
		return Source{}, false
	}
	return t.Sources[i], true
}

// checkEvidence holds a parsed entry to the rules: every claim's source is
// declared and of the right kind, and the outcome is the strongest
// evidence's: where real runs reported and this harness has not observed,
// the outcome is what the strongest of them reported.
func (t *Table) checkEvidence(e Entry) error {
	for _, c := range e.Documented {
		if c.Source == "" {
			continue
		}
		if s, ok := t.source(c.Source); !ok || s.Kind != Documented {
			return fmt.Errorf("documented=%s: no documented source %q declared above the cells", c, c.Source)
		}
	}
	for _, c := range e.Reported {
		if s, ok := t.source(c.Source); !ok || s.Kind != Reported && s.Kind != ReportedUnproven {
			return fmt.Errorf("reported=%s: no reported source %q declared above the cells", c, c.Source)
		}
	}
	if e.By != "" {
		if _, ok := t.source(e.By); !ok {
			return fmt.Errorf("by=%s: no source %q declared above the cells", e.By, e.By)
		}
	}
	if t.columnKind(e) == Observed || e.Outcome == Unknown {
		return nil
	}
	if kind, outcomes := t.strongestReported(e); kind != "" && !slices.ContainsFunc(outcomes, func(o Outcome) bool { return Claim{Outcome: o}.Agrees(e.Outcome) }) {
		return fmt.Errorf("outcome %s, but the strongest evidence, %s runs, says %s: the outcome column holds the strongest evidence (keep the docs' word as documented=%s)",
			e.Outcome, kind, outcomes[0], e.Outcome)
	}
	return nil
}
