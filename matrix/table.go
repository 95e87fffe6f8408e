package matrix

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"regexp"
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
	Scope      Filter   // nil: the whole default matrix
	Sources    []Source // what cells' claims cite
	Entries    map[Cell]Entry
	// Kernels, in a kernel's override table (see override.go), are the
	// kernel releases whose runs it applies to; Deviations name the
	// documented deviations (internal/model) that explain its cells.
	Kernels    []string
	Deviations []string

	// What Accept needs to write the file back with its comments.
	header  []string // lines before the first cell; directives as directiveSlot
	trailer []string // comment and blank lines after the last cell
	// An unknown cell right below another one shares its reason (it has
	// none of its own): follows names the cell above it, reasonOf the
	// reason's lines, so that Format keeps the two together or says the
	// reason again.
	follows  map[Cell]Cell
	reasonOf map[Cell][]string
}

// directiveSlot stands in the header for a directive line, so that Format
// writes the directives back where they were among the comments.
const directiveSlot = "\x00directive"

// Provenance says where a table's outcomes come from.
type Provenance struct {
	// "observed", "documented", or "agreed": a run elsewhere (another
	// kernel) that observed every cell as the table has it.
	Kind string
	Text string // observed, agreed: OS, kernel, arch, Go, date; documented: the source
}

func (p Provenance) String() string { return p.Kind + " " + p.Text }

// Entry is one expected cell.
type Entry struct {
	Outcome  Outcome
	Delivery Delivery // empty: not expected, or not compared
	// By names the source of Outcome when it is not the table's first
	// provenance: an observation accepted into part of the table.
	By         string
	Documented []Claim // what documentation says, where it is not Outcome or the table's own kind
	Reported   []Claim // what real runs elsewhere reported
	Line       int
	// File is the table the entry came from, where it is not the one that
	// holds it: a kernel's override (Overlay).
	File    string
	Comment string   // trailing comment on the cell's line, without '#'
	Above   []string // comment and blank lines directly above the cell
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
	t := &Table{File: file, Entries: map[Cell]Entry{}, follows: map[Cell]Cell{}, reasonOf: map[Cell][]string{}}
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		return nil, inputErrorf(file, 1, 1, "byte order mark at the start: save the file as plain UTF-8")
	}
	var lines []string
	if text := strings.TrimSuffix(string(data), "\n"); len(data) > 0 {
		lines = strings.Split(text, "\n")
	}
	var pending []string // comments waiting for the next cell
	lastUnknown := false // the cell above was unknown: its reason holds for this one too
	var last Cell        // the cell above
	var lastReason []string
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
		case "platform", "provenance", "scope", "source", "kernel", "deviation":
			if len(t.Entries) > 0 {
				return nil, inputErrorf(file, n, 1, "%s must come before the first cell", words[0])
			}
			t.header = append(t.header, pending...)
			t.header = append(t.header, directiveSlot)
			pending = nil
			lastUnknown = false
			if err := t.directive(file, n, words, raw); err != nil {
				return nil, err
			}
			continue
		}
		if t.Platform == "" {
			return nil, inputErrorf(file, n, 1, "cell before the 'platform NAME' line")
		}
		if len(pending) > 0 {
			lastUnknown = false // a comment or blank line ends the block
		}
		cell, e, err := parseCellLine(file, n, raw, words)
		if err != nil {
			return nil, err
		}
		if t.Scope != nil && !t.Scope.Match(cell) {
			return nil, inputErrorf(file, n, 1, "cell %s is outside the table's scope %s", cell, t.Scope)
		}
		if prev, dup := t.Entries[cell]; dup {
			return nil, inputErrorf(file, n, 1, "duplicate cell %s (first at line %d)", cell, prev.Line)
		}
		e.Line, e.Above = n, pending
		if hasComment {
			e.Comment = strings.TrimSpace(comment)
		}
		if e.Outcome == Unknown {
			switch {
			case e.Comment != "":
				lastReason = []string{"# " + e.Comment}
			case hasReason(pending):
				lastReason = reasonLines(pending)
			case lastUnknown && len(pending) == 0:
				t.follows[cell], t.reasonOf[cell] = last, lastReason
			default:
				return nil, inputErrorf(file, n, 1, "outcome unknown needs a reason: a comment on the line, or directly above it or above the unknown cells it follows")
			}
		}
		if err := t.checkEvidence(e); err != nil {
			return nil, inputErrorf(file, n, columnOf(raw, words, len(tableColumns)-1), "%v", err)
		}
		t.Entries[cell] = e
		lastUnknown, last = e.Outcome == Unknown, cell
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

// reasonLines are the comment lines of comments that give a reason.
func reasonLines(comments []string) []string {
	var lines []string
	for _, c := range comments {
		if hasReason([]string{c}) {
			lines = append(lines, strings.TrimSpace(c))
		}
	}
	return lines
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
		if len(words) < 3 || (words[1] != "observed" && words[1] != "documented" && words[1] != "agreed") {
			return inputErrorf(file, n, 1, "want 'provenance observed|documented|agreed TEXT'")
		}
		body, _, _ := strings.Cut(raw, "#")
		text := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(body), "provenance"))
		text = strings.TrimSpace(strings.TrimPrefix(text, words[1]))
		t.Provenance = append(t.Provenance, Provenance{Kind: words[1], Text: text})
	case "kernel", "deviation":
		if len(words) != 2 {
			return inputErrorf(file, n, 1, "want '%s NAME'", words[0])
		}
		if words[0] == "kernel" {
			t.Kernels = append(t.Kernels, words[1])
		} else {
			t.Deviations = append(t.Deviations, words[1])
		}
	case "scope":
		if len(words) != 2 || t.Scope != nil {
			return inputErrorf(file, n, 1, "want one 'scope key=value,...' line")
		}
		scope, err := ParseFilter(words[1])
		if err != nil {
			return inputErrorf(file, n, 7, "scope: %v", err)
		}
		t.Scope = scope
	case "source":
		if len(words) < 4 {
			return inputErrorf(file, n, 1, "want 'source ID KIND TEXT' (KIND documented, reported, reported-unproven or observed)")
		}
		if !sourceID.MatchString(words[1]) {
			return inputErrorf(file, n, columnOf(raw, words, 1), "source id %q: lower case letters, digits, '.', '_' and '-'", words[1])
		}
		if _, dup := t.source(words[1]); dup {
			return inputErrorf(file, n, columnOf(raw, words, 1), "source %q is declared twice", words[1])
		}
		kind, err := ParseSourceKind(words[2])
		if err != nil {
			return inputErrorf(file, n, columnOf(raw, words, 2), "%v", err)
		}
		body, _, _ := strings.Cut(raw, "#")
		text := strings.TrimSpace(body)
		for _, w := range words[:3] {
			text = strings.TrimSpace(strings.TrimPrefix(text, w))
		}
		t.Sources = append(t.Sources, Source{ID: words[1], Kind: kind, Text: text, Line: n})
	}
	return nil
}

// parseCellLine reads the eight columns "proto family state first_addr
// second_addr first second outcome" and the key=value words after them.
func parseCellLine(file string, n int, raw string, words []string) (Cell, Entry, error) {
	var e Entry
	if len(words) < len(tableColumns) {
		names := make([]string, len(tableColumns))
		for i, c := range tableColumns {
			names[i] = c.name
		}
		return Cell{}, e, inputErrorf(file, n, 1, "want %d columns (%s), found %d",
			len(tableColumns), strings.Join(names, " "), len(words))
	}
	wrap := func(i int, err error) error {
		name := "key=value"
		if i < len(tableColumns) {
			name = tableColumns[i].name
		}
		return inputErrorf(file, n, columnOf(raw, words, i), "column %d (%s): %v", i+1, name, err)
	}
	var c Cell
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
			return c, e, wrap(i, err)
		}
	}
	o, err := ParseOutcome(words[7])
	if err != nil {
		return c, e, wrap(7, err)
	}
	if o == Unreached {
		return c, e, wrap(7, fmt.Errorf("an expected table says what should happen; unreached is what a run reports when it could not tell"))
	}
	e.Outcome = o
	c.FirstFamily, c.SecondFamily = socketFamilyOf(c.Family), socketFamilyOf(c.Family)
	seen := map[string]bool{}
	for i := len(tableColumns); i < len(words); i++ {
		key, value, ok := strings.Cut(words[i], "=")
		if !ok {
			return c, e, wrap(i, fmt.Errorf("%q after the outcome is not key=value (keys: %s)", words[i], strings.Join(tableKeys, ", ")))
		}
		if seen[key] {
			return c, e, wrap(i, fmt.Errorf("%s given twice", key))
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
			e.Delivery, err = ParseDelivery(value)
		case "documented":
			e.Documented, err = parseClaims(value, true)
		case "reported":
			e.Reported, err = parseClaims(value, false)
		case "by":
			if e.By = value; !sourceID.MatchString(value) {
				err = fmt.Errorf("source id %q", value)
			}
		default:
			err = fmt.Errorf("unknown key %q (valid: %s)", key, strings.Join(tableKeys, ", "))
		}
		if err != nil {
			return c, e, wrap(i, err)
		}
	}
	if c.Family.Mixed() && !(seen["first_family"] && seen["second_family"]) {
		return c, e, wrap(1, fmt.Errorf("a %s cell needs first_family= and second_family=", c.Family))
	}
	if err := c.Valid(); err != nil {
		return c, e, wrap(0, err)
	}
	if e.Delivery != "" && !(o == OK && DeliveryApplies(c)) {
		return c, e, wrap(len(tableColumns), fmt.Errorf("delivery= applies only to an ok cell whose two sockets both receive (tcp listening, udp bound)"))
	}
	return c, e, nil
}

// tableKeys are the key=value words a cell line may end with.
var tableKeys = []string{"first_family", "second_family", "process", "delivery", "documented", "reported", "by"}

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

// Accept folds an observation into the table: observed outcomes replace
// the expected ones, new cells are added, comments stay where they were,
// and what the table held before stays as evidence where it differs: a
// documented outcome as documented=, reported claims as they were.
// Unreached cells and cells outside the scope are not accepted; they are
// returned so the caller can say so.
//
// When every cell the table covers is accepted the observation becomes the
// table's first provenance. Otherwise only the accepted cells are its: they
// name it with by=, and the table's provenance stays as it was, so that no
// cell loses the origin of its outcome.
func (t *Table) Accept(obs *Observation, prov Provenance) (unaccepted []Result) {
	accepted := map[Cell]bool{}
	for _, r := range obs.Cells {
		if r.Outcome == Unreached || !t.Covers(r.Cell) {
			unaccepted = append(unaccepted, r)
			continue
		}
		accepted[r.Cell] = true
	}
	// A new table has nothing of another origin: this run is its provenance.
	whole := len(accepted) > 0
	if len(t.Provenance) == 0 {
		t.Provenance = []Provenance{prov}
	}
	for _, c := range AllCellsOn(t.Platform) {
		if t.Covers(c) && !accepted[c] {
			whole = false
		}
	}
	for c := range t.Entries {
		if !accepted[c] && t.Covers(c) {
			whole = false
		}
	}
	if whole && t.defaultKind() == Observed && prov.Kind == "observed" && t.agreesWith(obs, accepted) {
		// Another kernel (or machine) saw exactly this table: it is
		// recorded as agreeing, and the table's own origin stays.
		if firstWords(t.Provenance[0].Text, 3) == firstWords(prov.Text, 3) {
			t.Provenance[0] = prov // the same kernel again: a newer date
			return unaccepted
		}
		t.Provenance = slices.DeleteFunc(t.Provenance, func(p Provenance) bool {
			return p.Kind == "agreed" && firstWords(p.Text, 3) == firstWords(prov.Text, 3)
		})
		t.Provenance = append(t.Provenance, Provenance{Kind: "agreed", Text: prov.Text})
		return unaccepted
	}
	id := ""
	if !whole && len(accepted) > 0 {
		id = t.addSource(Observed, prov.Text)
	}
	for _, r := range obs.Cells {
		if !accepted[r.Cell] {
			continue
		}
		e, had := t.Entries[r.Cell]
		if had && t.columnKind(e) == Documented && len(e.Documented) == 0 && e.Outcome != r.Outcome && e.Outcome != Unknown {
			e.Documented = []Claim{{Outcome: e.Outcome}} // what the docs said stays beside what was seen
		}
		e.Outcome, e.Delivery, e.By = r.Outcome, r.Delivery, id
		t.Entries[r.Cell] = e
	}
	if whole {
		kept := slices.DeleteFunc(t.Provenance, func(p Provenance) bool { return p.Kind == prov.Kind })
		t.Provenance = append([]Provenance{prov}, kept...)
		for c, e := range t.Entries {
			if s, ok := t.source(e.By); ok && s.Kind == Observed {
				e.By = ""
				t.Entries[c] = e
			}
		}
		t.Sources = slices.DeleteFunc(t.Sources, func(s Source) bool { return s.Kind == Observed && !t.cited(s.ID) })
	}
	return unaccepted
}

// agreesWith says every accepted result of obs is what the table holds,
// delivery included.
func (t *Table) agreesWith(obs *Observation, accepted map[Cell]bool) bool {
	for _, r := range obs.Cells {
		if e, ok := t.Entries[r.Cell]; accepted[r.Cell] && (!ok || e.Outcome != r.Outcome || e.Delivery != r.Delivery) {
			return false
		}
	}
	return true
}

// firstWords is the first n words of text: "linux kernel 6.1.0-27": an
// agreeing run's OS and kernel, which a later run of the same replaces.
func firstWords(text string, n int) string {
	w := strings.Fields(text)
	return strings.Join(w[:min(n, len(w))], " ")
}

// addSource declares a source for text, named after the text's first words
// and unique in the table, and returns its ID.
func (t *Table) addSource(kind SourceKind, text string) string {
	base := strings.Trim(regexp.MustCompile(`[^a-z0-9.]+`).ReplaceAllString(strings.ToLower(text), "-"), "-.")
	if len(base) > 48 {
		base = strings.Trim(base[:48], "-.")
	}
	if base == "" || !sourceID.MatchString(base) {
		base = string(kind)
	}
	id := base
	for i := 2; ; i++ {
		if _, taken := t.source(id); !taken {
			break
		}
		id = fmt.Sprintf("%s-%d", base, i)
	}
	t.Sources = append(t.Sources, Source{ID: id, Kind: kind, Text: text})
	return id
}

// cited says whether some cell names the source.
func (t *Table) cited(id string) bool {
	for _, e := range t.Entries {
		if e.By == id || slices.ContainsFunc(append(slices.Clone(e.Documented), e.Reported...), func(c Claim) bool { return c.Source == id }) {
			return true
		}
	}
	return false
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
	for _, k := range t.Kernels {
		directives = append(directives, "kernel "+k)
	}
	for _, d := range t.Deviations {
		directives = append(directives, "deviation "+d)
	}
	for _, p := range t.Provenance {
		directives = append(directives, "provenance "+p.String())
	}
	if t.Scope != nil {
		directives = append(directives, "scope "+t.Scope.String())
	}
	for _, src := range t.Sources {
		directives = append(directives, fmt.Sprintf("source %s %s %s", src.ID, src.Kind, src.Text))
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
	// Cells go in canonical order, but an unknown cell that shares the
	// reason of the unknown cell above it stays right below that cell; one
	// whose cell above is gone or known now gets the reason said again.
	shares := func(c Cell) bool {
		e := t.Entries[c]
		return e.Outcome == Unknown && e.Comment == "" && !hasReason(e.Above)
	}
	below := map[Cell][]Cell{}
	kept := map[Cell]bool{}
	for _, c := range t.Cells() {
		if above, ok := t.follows[c]; ok && shares(c) && t.Entries[above].Outcome == Unknown {
			below[above] = append(below[above], c)
			kept[c] = true
		}
	}
	written, lastUnknown := 0, false
	var write func(c Cell)
	write = func(c Cell) {
		e := t.Entries[c]
		above := e.Above
		if written == 0 && !slices.Contains(above, columnHeading()) {
			above = append([]string{columnHeading()}, above...)
		}
		if shares(c) && !(lastUnknown && len(above) == 0) {
			above = append(slices.Clip(above), t.reasonOf[c]...)
		}
		for _, l := range above {
			b.WriteString(l + "\n")
		}
		b.WriteString(cellLine(c, e) + "\n")
		written++
		lastUnknown = e.Outcome == Unknown
		for _, next := range below[c] {
			write(next)
		}
	}
	for _, c := range t.Cells() {
		if !kept[c] {
			write(c)
		}
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
	if c.Family.Mixed() {
		b.WriteString(" first_family=" + c.FirstFamily.String() + " second_family=" + c.SecondFamily.String())
	}
	if c.Process != SameProcess {
		b.WriteString(" process=" + c.Process.String())
	}
	if e.Delivery != "" {
		b.WriteString(" delivery=" + string(e.Delivery))
	}
	if e.By != "" {
		b.WriteString(" by=" + e.By)
	}
	if len(e.Documented) > 0 {
		b.WriteString(" documented=" + formatClaims(e.Documented))
	}
	if len(e.Reported) > 0 {
		b.WriteString(" reported=" + formatClaims(e.Reported))
	}
	if e.Comment != "" {
		b.WriteString("  # " + e.Comment)
	}
	return b.String()
}
