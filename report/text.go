package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// text renders for a terminal: aligned grids and one line per difference.
type text struct{}

func (text) Observation(w io.Writer, obs *matrix.Observation) error {
	p := &printer{w: w}
	p.f("%s: %d cells\n", platformLine(obs.Platform), len(obs.Cells))
	for _, g := range observationGrids(obs) {
		p.f("\n")
		p.grid(g)
	}
	p.unreached(obs.Cells)
	return p.err
}

func (text) Comparison(w io.Writer, c *matrix.Comparison) error {
	p := &printer{w: w}
	p.f("%s\n", platformLine(c.Platform))
	p.f("expected: %s (%s)\n", c.Table.File, provenanceLine(c.Table))
	p.f("%s\n", summary(c))
	if len(c.Differences) > 0 {
		p.f("\nDifferences, as expected → observed (. agrees, - not run this time):\n")
		for _, g := range diffGrids(c) {
			p.f("\n")
			p.grid(g)
		}
		p.f("\n")
		for _, d := range c.Differences {
			p.f("DIFF %s: %s\n", d.Cell, differenceLine(c, d))
		}
	}
	p.unreached(c.Unreached)
	if len(c.Unknown) > 0 {
		p.f("\n%s without an expectation (unknown in, or not covered by, %s); observed:\n", cellCount(len(c.Unknown)), c.Table.File)
		for _, r := range c.Unknown {
			p.f("  %s: %s\n", r.Cell, resultText(r))
		}
	}
	p.f("\n%s\n", verdictLine(c))
	return p.err
}

// printer keeps the first write error so renderers read straight through.
type printer struct {
	w   io.Writer
	err error
}

// Escape is s with its control characters escaped, line breaks too: a
// value from input put into a line a command lays out itself.
func Escape(s string) string { return clean(s) }

// Printf is fmt.Fprintf with every string, error and Stringer among args
// escaped as the renderings escape them: for the lines a command prints
// itself that quote input (a kernel of an observation, a path given).
func Printf(w io.Writer, format string, args ...any) error {
	p := &printer{w: w}
	p.f(format, args...)
	return p.err
}

// f prints args through format with every control character in them
// escaped (clean): a report's lines and their layout come from the format
// alone, so no value read from a file or a server (a kernel string, a
// command, a note) can forge a line such as a verdict. Text laid out
// already, line by line, is passed as verbatim.
func (p *printer) f(format string, args ...any) {
	if p.err != nil {
		return
	}
	safe := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case verbatim:
			safe[i] = string(v)
		case string:
			safe[i] = clean(v)
		case error:
			safe[i] = clean(v.Error())
		case fmt.Stringer:
			safe[i] = clean(v.String())
		default:
			safe[i] = a
		}
	}
	_, p.err = fmt.Fprintf(p.w, format, safe...)
}

// Clean escapes the control characters of s, keeping its line breaks and
// indenting every line after the first by two spaces: for messages that
// quote input (a file name, a flag's value, a server's output) outside a
// rendering, such as the command's errors.
func Clean(s string) string { return string(cleanLines(s, "  ")) }

// verbatim is text a renderer has laid out over several lines itself, each
// line cleaned (cleanLines).
type verbatim string

// cleanLines keeps s's line breaks, cleans each line and starts every line
// after the first with indent: a server's output shown as it printed it,
// minus what could move the cursor.
func cleanLines(s, indent string) verbatim {
	lines := strings.Split(strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), "\n"), "\n")
	for i, l := range lines {
		lines[i] = clean(l)
	}
	return verbatim(strings.Join(lines, "\n"+indent))
}

func (p *printer) grid(g grid) {
	width := len("SO_EXCLUSIVEADDRUSE")
	for _, t := range g.text {
		width = max(width, len(t))
	}
	row := func(label string, cells []string) {
		line := fmt.Sprintf("  %-*s", width, label)
		for _, c := range cells {
			line += fmt.Sprintf("  %-*s", width, c)
		}
		p.f("%s\n", strings.TrimRight(line, " "))
	}
	p.f("%s\n", g.group.title())
	var heads []string
	for _, s := range g.second {
		heads = append(heads, s.String())
	}
	row("first \\ second", heads)
	for _, f := range g.firsts {
		var cells []string
		for _, s := range g.second {
			cells = append(cells, g.at(f, s))
		}
		row(f.String(), cells)
	}
}

func (p *printer) unreached(rs []matrix.Result) {
	var lines []string
	for _, r := range rs {
		if r.Outcome == matrix.Unreached {
			lines = append(lines, fmt.Sprintf("  %s: %s", r.Cell, clean(r.Note)))
		}
	}
	if len(lines) > 0 {
		p.f("\n%s unreached (the first socket's state could not be set up or proven):\n%s\n",
			cellCount(len(lines)), verbatim(strings.Join(lines, "\n")))
	}
}

// resultText is a cell's outcome with its delivery, as grids show it.
func resultText(r matrix.Result) string {
	if r.Delivery != "" {
		return fmt.Sprintf("%s [%s]", r.Outcome, r.Delivery)
	}
	return string(r.Outcome)
}

func expectedText(e matrix.Entry) string {
	if e.Delivery != "" {
		return fmt.Sprintf("%s [%s]", e.Outcome, e.Delivery)
	}
	return string(e.Outcome)
}

func platformLine(p matrix.Platform) string {
	return fmt.Sprintf("%s (%s/%s, kernel %s, %s)", p.Name, p.GOOS, p.GOARCH, p.Kernel, p.Go)
}

func provenanceLine(t *matrix.Table) string {
	var parts []string
	for _, p := range t.Provenance {
		parts = append(parts, p.String())
	}
	return strings.Join(parts, "; ")
}

func summary(c *matrix.Comparison) string {
	total := c.Compared + len(c.Unreached) + len(c.Unknown)
	return fmt.Sprintf("%d cells: %d agree, %d differ, %d unreached, %d without expectation",
		total, c.Agree, len(c.Differences), len(c.Unreached), len(c.Unknown))
}

func verdictLine(c *matrix.Comparison) string {
	switch c.Verdict() {
	case matrix.Differ:
		verb := "differ"
		if len(c.Differences) == 1 {
			verb = "differs"
		}
		return fmt.Sprintf("VERDICT: DIFFER (%s %s from %s)", cellCount(len(c.Differences)), verb, c.Table.File)
	case matrix.Incomplete:
		if c.Compared == 0 {
			return fmt.Sprintf("VERDICT: INCOMPLETE (no cell had an expectation in %s to compare with)", c.Table.File)
		}
		return fmt.Sprintf("VERDICT: INCOMPLETE (%s unreached; the rest agree)", cellCount(len(c.Unreached)))
	}
	line := fmt.Sprintf("VERDICT: AGREE (all %d compared cells match %s", c.Compared, c.Table.File)
	if n := len(c.Unknown); n > 0 {
		line += fmt.Sprintf("; %s had no expectation to compare with", cellCount(n))
	}
	return line + ")"
}

func differenceLine(c *matrix.Comparison, d matrix.Difference) string {
	expected := fmt.Sprintf("expected %s (%s)", expectedText(d.Expected), d.Expected.Where(c.Table.File))
	line := fmt.Sprintf("%s, observed %s; witness: %s", expected, resultText(d.Result), clean(d.Witness))
	if d.Note != "" {
		line += "; " + clean(d.Note)
	}
	return line
}

// diffGrids lays out the groups that hold a difference: differing cells
// read "expected → observed", agreeing ones ".".
func diffGrids(c *matrix.Comparison) []grid {
	observed := map[matrix.Cell]matrix.Outcome{}
	for _, r := range c.Observed {
		observed[r.Cell] = r.Outcome
	}
	differs := map[matrix.Cell]matrix.Difference{}
	groups := map[group]bool{}
	for _, d := range c.Differences {
		differs[d.Cell] = d
		groups[groupOf(d.Cell)] = true
	}
	var cells []matrix.Cell
	options := matrix.OptionsOn(c.Platform.Name)
	for _, g := range groupsInOrder(groups) {
		for _, f := range options {
			for _, s := range options {
				cells = append(cells, g.cell(f, s))
			}
		}
	}
	return grids(cells, func(cell matrix.Cell) string {
		if d, ok := differs[cell]; ok {
			return expectedText(d.Expected) + " → " + resultText(d.Result)
		}
		switch o, ok := observed[cell]; {
		case !ok:
			return "-"
		case o == matrix.Unreached:
			return "? unreached"
		}
		return "."
	})
}

func groupsInOrder(set map[group]bool) []group {
	var cells []matrix.Cell
	for g := range set {
		cells = append(cells, g.key)
	}
	matrix.SortCells(cells)
	out := make([]group, len(cells))
	for i, c := range cells {
		out[i] = groupOf(c)
	}
	return out
}

func cellCount(n int) string {
	if n == 1 {
		return "1 cell"
	}
	return fmt.Sprintf("%d cells", n)
}

// clean escapes control characters, so that text from a file (a note, a
// witness, a server's output) cannot move the cursor or forge a line of
// the report, such as a verdict.
func clean(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isControl(r) {
			b.WriteString(strings.Trim(strconv.QuoteRune(r), "'"))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isControl(r rune) bool { return r < ' ' || r == 0x7f || r >= 0x80 && r < 0xa0 }
