package matrix

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// A Table is the checked-in expectation for one platform: a text file with one
// cell per line, so that a change of OS behaviour is a one-line diff.
//
//	# comments start with '#', anywhere
//	platform linux
//	provenance observed linux 6.1.0-27-cloud-amd64 amd64 go1.26.8 2026-11-23
//	scope proto=tcp,process=same        (optional: the cells the table covers)
//	# proto family state      first_addr second_addr first        second  outcome
//	tcp     ipv4   bound      specific   specific    none         none    bind:EADDRINUSE
//	tcp     ipv4   listening  specific   specific    SO_REUSEPORT SO_REUSEPORT ok delivery=both
//	tcp     dual   bound      wildcard   wildcard    none         none    bind:EADDRINUSE first_family=ipv4 second_family=ipv6-dualstack
//	tcp     ipv4   listening  specific   specific    none         none    bind:EADDRINUSE process=other
//
// Eight columns in a fixed order, then key=value words for what only some
// cells have: the socket families of a dual cell, the process when it is not
// the same, the expected delivery. Every cell of the default matrix within
// the table's scope must be present: a table that silently lacks cells would
// make a comparison smaller without saying so.
type Table struct {
	File       string
	Platform   string
	Provenance []Provenance
	Scope      Filter // nil: the whole default matrix
	Entries    map[Cell]Entry

	// What Accept needs to write the file back with its comments.
	header  []string // lines before the first cell; directives as directiveSlot
	trailer []string // comment and blank lines after the last cell
}

// directiveSlot stands in the header for a directive line, so that Format
// writes the directives back where they were among the comments.
const directiveSlot = "\x00directive"

// Provenance says where a table's outcomes come from.
type Provenance struct {
	Kind string // "observed" or "documented"
	Text string // observed: OS, kernel, arch, Go, date; documented: the source
}

func (p Provenance) String() string { return p.Kind + " " + p.Text }

// Entry is one expected cell.
type Entry struct {
	Outcome  Outcome
	Delivery Delivery // empty: not expected, or not compared
	Line     int
	Comment  string   // trailing comment on the cell's line, without '#'
	Above    []string // comment and blank lines directly above the cell
}

// Column order of a cell line, and the width each is padded to.
var tableColumns = []struct {
	name  string
	width int
}{
	{"proto", 7}, {"family", 6}, {"state", 11}, {"first_addr", 10}, {"second_addr", 11},
	{"first", 19}, {"second", 19}, {"outcome", 0},
}

// ErrNoTable says a platform has no expected table yet.
var ErrNoTable = errors.New("no expected table")

// LoadTable reads the expected table for a platform from fsys, naming it
// dir/PLATFORM.txt in messages; it must hold every cell of the matrix.
func LoadTable(fsys fs.FS, dir, platform string) (*Table, error) {
	t, err := ReadTable(fsys, dir, platform)
	if err != nil {
		return nil, err
	}
	return t, t.Complete(AllCellsOn(platform))
}

// ReadTable is LoadTable without the rule that every cell be present: what
// accept needs to fill a table in.
func ReadTable(fsys fs.FS, dir, platform string) (*Table, error) {
	file := path.Join(filepath.ToSlash(dir), platform+".txt")
	data, err := fs.ReadFile(fsys, platform+".txt")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &InputError{File: file, Err: ErrNoTable,
			Msg: fmt.Sprintf("no expected table for platform %q (create it with 'bindmatrix accept')", platform)}
	}
	if err != nil {
		return nil, &InputError{File: file, Msg: err.Error()}
	}
	t, err := ParseTable(file, data)
	if err != nil {
		return nil, err
	}
	if t.Platform != platform {
		return nil, inputErrorf(file, 0, 0, "says platform %q, but the file is named for %q", t.Platform, platform)
	}
	return t, nil
}

// ParseTable parses a table. Every defect is an *InputError naming file:line.
func ParseTable(file string, data []byte) (*Table, error) {
	t := &Table{File: file, Entries: map[Cell]Entry{}}
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		return nil, inputErrorf(file, 1, 1, "byte order mark at the start: save the file as plain UTF-8")
	}
	var lines []string
	if text := strings.TrimSuffix(string(data), "\n"); len(data) > 0 {
		lines = strings.Split(text, "\n")
	}
	var pending []string // comments waiting for the next cell
	for i, raw := range lines {
		n := i + 1
		if strings.HasSuffix(raw, "\r") {
			return nil, inputErrorf(file, n, len(raw), "carriage return at end of line: the file has CRLF line endings (convert to LF; .gitattributes keeps it so)")
		}
		body, comment, hasComment := strings.Cut(raw, "#")
		words := strings.Fields(body)
		if len(words) == 0 {
			pending = append(pending, raw)
			continue
		}
		switch words[0] {
		case "platform", "provenance", "scope":
			if len(t.Entries) > 0 {
				return nil, inputErrorf(file, n, 1, "%s must come before the first cell", words[0])
			}
			t.header = append(t.header, pending...)
			t.header = append(t.header, directiveSlot)
			pending = nil
			if err := t.directive(file, n, words, raw); err != nil {
				return nil, err
			}
			continue
		}
		if t.Platform == "" {
			return nil, inputErrorf(file, n, 1, "cell before the 'platform NAME' line")
		}
		cell, outcome, delivery, err := parseCellLine(file, n, raw, words)
		if err != nil {
			return nil, err
		}
		if t.Scope != nil && !t.Scope.Match(cell) {
			return nil, inputErrorf(file, n, 1, "cell %s is outside the table's scope %s", cell, t.Scope)
		}
		if prev, dup := t.Entries[cell]; dup {
			return nil, inputErrorf(file, n, 1, "duplicate cell %s (first at line %d)", cell, prev.Line)
		}
		e := Entry{Outcome: outcome, Delivery: delivery, Line: n, Above: pending}
		if hasComment {
			e.Comment = strings.TrimSpace(comment)
		}
		if outcome == Unknown && e.Comment == "" && !hasReason(pending) {
			return nil, inputErrorf(file, n, 1, "outcome unknown needs a reason: a comment on the line or directly above")
		}
		t.Entries[cell] = e
		pending = nil
	}
	if len(t.Entries) == 0 {
		t.header = append(t.header, pending...)
	} else {
		t.trailer = pending
	}
	if t.Platform == "" {
		return nil, inputErrorf(file, 0, 0, "no 'platform NAME' line")
	}
	if len(t.Provenance) == 0 {
		return nil, inputErrorf(file, 0, 0, "no 'provenance observed|documented ...' line")
	}
	return t, nil
}

func hasReason(comments []string) bool {
	for _, c := range comments {
		if strings.TrimSpace(c) == columnHeading() {
			continue
		}
		if strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(c), "#")) != "" {
			return true
		}
	}
	return false
}

func (t *Table) directive(file string, n int, words []string, raw string) error {
	switch words[0] {
	case "platform":
		if len(words) != 2 {
			return inputErrorf(file, n, 1, "want 'platform NAME'")
		}
		if t.Platform != "" {
			return inputErrorf(file, n, 1, "second platform line")
		}
		t.Platform = words[1]
	case "provenance":
		if len(words) < 3 || (words[1] != "observed" && words[1] != "documented") {
			return inputErrorf(file, n, 1, "want 'provenance observed|documented TEXT'")
		}
		body, _, _ := strings.Cut(raw, "#")
		text := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(body), "provenance"))
		text = strings.TrimSpace(strings.TrimPrefix(text, words[1]))
		t.Provenance = append(t.Provenance, Provenance{Kind: words[1], Text: text})
	case "scope":
		if len(words) != 2 || t.Scope != nil {
			return inputErrorf(file, n, 1, "want one 'scope key=value,...' line")
		}
		scope, err := ParseFilter(words[1])
		if err != nil {
			return inputErrorf(file, n, 7, "scope: %v", err)
		}
		t.Scope = scope
	}
	return nil
}

// parseCellLine reads the eight columns "proto family state first_addr
// second_addr first second outcome" and the key=value words after them.
func parseCellLine(file string, n int, raw string, words []string) (Cell, Outcome, Delivery, error) {
	if len(words) < len(tableColumns) {
		names := make([]string, len(tableColumns))
		for i, c := range tableColumns {
			names[i] = c.name
		}
		return Cell{}, "", "", inputErrorf(file, n, 1, "want %d columns (%s), found %d",
			len(tableColumns), strings.Join(names, " "), len(words))
	}
	wrap := func(i int, e error) error {
		name := "key=value"
		if i < len(tableColumns) {
			name = tableColumns[i].name
		}
		return inputErrorf(file, n, columnOf(raw, words, i), "column %d (%s): %v", i+1, name, e)
	}
	var c Cell
	var err error
	for i, parse := range []func(string) error{
		func(w string) (err error) { c.Proto, err = ParseProto(w); return err },
		func(w string) (err error) { c.Family, err = ParseFamily(w); return err },
		func(w string) (err error) { c.State, err = ParseState(w); return err },
		func(w string) (err error) { c.FirstAddr, err = ParseAddrKind(w); return err },
		func(w string) (err error) { c.SecondAddr, err = ParseAddrKind(w); return err },
		func(w string) (err error) { c.First, err = ParseOption(w); return err },
		func(w string) (err error) { c.Second, err = ParseOption(w); return err },
	} {
		if err := parse(words[i]); err != nil {
			return c, "", "", wrap(i, err)
		}
	}
	o, err := ParseOutcome(words[7])
	if err != nil {
		return c, "", "", wrap(7, err)
	}
	if o == Unreached {
		return c, "", "", wrap(7, fmt.Errorf("an expected table says what should happen; unreached is what a run reports when it could not tell"))
	}
	c.FirstFamily, c.SecondFamily = socketFamilyOf(c.Family), socketFamilyOf(c.Family)
	var delivery Delivery
	seen := map[string]bool{}
	for i := len(tableColumns); i < len(words); i++ {
		key, value, ok := strings.Cut(words[i], "=")
		if !ok {
			return c, "", "", wrap(i, fmt.Errorf("%q after the outcome is not key=value (keys: %s)", words[i], strings.Join(tableKeys, ", ")))
		}
		if seen[key] {
			return c, "", "", wrap(i, fmt.Errorf("%s given twice", key))
		}
		seen[key] = true
		switch key {
		case "first_family":
			c.FirstFamily, err = ParseSocketFamily(value)
		case "second_family":
			c.SecondFamily, err = ParseSocketFamily(value)
		case "process":
			c.Process, err = ParseProcess(value)
		case "delivery":
			delivery, err = ParseDelivery(value)
		default:
			err = fmt.Errorf("unknown key %q (valid: %s)", key, strings.Join(tableKeys, ", "))
		}
		if err != nil {
			return c, "", "", wrap(i, err)
		}
	}
	if c.Family == Dual && !(seen["first_family"] && seen["second_family"]) {
		return c, "", "", wrap(1, fmt.Errorf("a dual cell needs first_family= and second_family="))
	}
	if err := c.Valid(); err != nil {
		return c, "", "", wrap(0, err)
	}
	if delivery != "" && !(o == OK && DeliveryApplies(c)) {
		return c, "", "", wrap(len(tableColumns), fmt.Errorf("delivery= applies only to an ok cell whose two sockets both receive (tcp listening, udp bound)"))
	}
	return c, o, delivery, nil
}

// tableKeys are the key=value words a cell line may end with.
var tableKeys = []string{"first_family", "second_family", "process", "delivery"}

// columnOf finds the 1-based column where the i-th word of a line starts.
func columnOf(raw string, words []string, i int) int {
	at := 0
	for j := 0; j <= i; j++ {
		k := strings.Index(raw[at:], words[j])
		if k < 0 {
			return 1
		}
		if j == i {
			return at + k + 1
		}
		at += k + len(words[j])
	}
	return 1
}

// Covers says whether the cell is within the table's scope.
func (t *Table) Covers(c Cell) bool { return t.Scope == nil || t.Scope.Match(c) }

// Complete reports cells of want within the table's scope that the table
// lacks, as an *InputError.
func (t *Table) Complete(want []Cell) error {
	var missing []Cell
	for _, c := range want {
		if _, ok := t.Entries[c]; !ok && t.Covers(c) {
			missing = append(missing, c)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return inputErrorf(t.File, 0, 0, "%d of %d cells missing, first %s (regenerate with 'bindmatrix accept' or add them by hand)",
		len(missing), len(want), missing[0])
}

// Cells lists the table's cells in canonical order.
func (t *Table) Cells() []Cell {
	cells := make([]Cell, 0, len(t.Entries))
	for c := range t.Entries {
		cells = append(cells, c)
	}
	SortCells(cells)
	return cells
}

// Accept folds an observation into the table: observed outcomes replace the
// expected ones, new cells are added, comments stay where they were, and the
// observed provenance replaces the old one. Unreached cells are not accepted;
// they are returned so the caller can say so.
func (t *Table) Accept(obs *Observation, prov Provenance) (unaccepted []Result) {
	documented := slices.ContainsFunc(t.Provenance, func(p Provenance) bool { return p.Kind == "documented" })
	for _, r := range obs.Cells {
		if r.Outcome == Unreached || !t.Covers(r.Cell) {
			unaccepted = append(unaccepted, r)
			continue
		}
		e, had := t.Entries[r.Cell]
		// The first observation of a documented cell keeps what the docs
		// said beside it, so the docs table can show both.
		if _, noted := DocumentedOutcome(e); had && documented && !noted && e.Outcome != r.Outcome {
			e.Comment = strings.TrimSpace(documentedPrefix + string(e.Outcome) + " " + e.Comment)
		}
		e.Outcome, e.Delivery = r.Outcome, r.Delivery
		t.Entries[r.Cell] = e
	}
	kept := slices.DeleteFunc(t.Provenance, func(p Provenance) bool { return p.Kind == prov.Kind })
	t.Provenance = append([]Provenance{prov}, kept...)
	return unaccepted
}

const documentedPrefix = "documented: "

// DocumentedOutcome reads the "documented: OUTCOME" note accept leaves on a
// documented cell whose observation differed.
func DocumentedOutcome(e Entry) (Outcome, bool) {
	rest, ok := strings.CutPrefix(e.Comment, documentedPrefix)
	if !ok {
		return "", false
	}
	word, _, _ := strings.Cut(rest, " ")
	o, err := ParseOutcome(word)
	return o, err == nil
}

// NewTable starts an empty table for a platform, with a header that tells a
// reader what the file is.
func NewTable(file, platform string) *Table {
	return &Table{
		File:     file,
		Platform: platform,
		Entries:  map[Cell]Entry{},
		header: []string{
			"# Expected outcomes of the second bind() on " + platform + ", one cell per line.",
			"# Outcome vocabulary and columns: see the README. Regenerate observed cells with",
			"# 'bindmatrix accept' and review the diff before committing.",
			directiveSlot,
		},
	}
}

// Format writes the table back as text, in canonical cell order.
func (t *Table) Format() []byte {
	var b bytes.Buffer
	// The directives in order: platform, provenance, scope. Each goes to
	// the next slot; what has no slot left (accept added a provenance) goes
	// with the last one, and a header without slots gets them at its end.
	var directives []string
	directives = append(directives, "platform "+t.Platform)
	for _, p := range t.Provenance {
		directives = append(directives, "provenance "+p.String())
	}
	if t.Scope != nil {
		directives = append(directives, "scope "+t.Scope.String())
	}
	slots := 0
	for _, l := range t.header {
		if l == directiveSlot {
			slots++
		}
	}
	header := t.header
	if slots == 0 {
		header, slots = append(slices.Clip(header), directiveSlot), 1
	}
	for _, l := range header {
		if l != directiveSlot {
			b.WriteString(l + "\n")
			continue
		}
		slots--
		n := 1
		if slots == 0 {
			n = len(directives)
		}
		for _, d := range directives[:min(n, len(directives))] {
			b.WriteString(d + "\n")
		}
		directives = directives[min(n, len(directives)):]
	}
	for i, c := range t.Cells() {
		e := t.Entries[c]
		if i == 0 && !slices.Contains(e.Above, columnHeading()) {
			b.WriteString(columnHeading() + "\n")
		}
		for _, l := range e.Above {
			b.WriteString(l + "\n")
		}
		b.WriteString(cellLine(c, e) + "\n")
	}
	for _, l := range t.trailer {
		b.WriteString(l + "\n")
	}
	return b.Bytes()
}

// columnHeading names the columns above the first cell, aligned with them.
func columnHeading() string {
	var b strings.Builder
	for i, c := range tableColumns {
		name := c.name
		if i == 0 {
			name = "# " + name
		}
		b.WriteString(name)
		if i < len(tableColumns)-1 {
			b.WriteString(strings.Repeat(" ", max(c.width-len(name), 0)+1))
		}
	}
	return b.String()
}

func cellLine(c Cell, e Entry) string {
	words := []string{c.Proto.String(), c.Family.String(), c.State.String(), c.FirstAddr.String(),
		c.SecondAddr.String(), c.First.String(), c.Second.String(), string(e.Outcome)}
	var b strings.Builder
	for i, w := range words {
		b.WriteString(w)
		if pad := tableColumns[i].width - len(w); i < len(words)-1 {
			b.WriteString(strings.Repeat(" ", max(pad, 0)+1))
		}
	}
	if c.Family == Dual {
		b.WriteString(" first_family=" + c.FirstFamily.String() + " second_family=" + c.SecondFamily.String())
	}
	if c.Process != SameProcess {
		b.WriteString(" process=" + c.Process.String())
	}
	if e.Delivery != "" {
		b.WriteString(" delivery=" + string(e.Delivery))
	}
	if e.Comment != "" {
		b.WriteString("  # " + e.Comment)
	}
	return b.String()
}
