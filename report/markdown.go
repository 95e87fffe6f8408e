package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// markdown renders for GitHub job summaries and docs: the same grids as the
// text renderer, as tables.
type markdown struct{}

func (markdown) Observation(w io.Writer, obs *matrix.Observation) error {
	p := &printer{w: w}
	p.f("## bindmatrix on %s\n\n%d cells.\n", mdEscape(platformLine(obs.Platform)), len(obs.Cells))
	for _, g := range observationGrids(obs) {
		p.mdGrid(g)
	}
	p.mdUnreached(obs.Cells)
	return p.err
}

func (markdown) Comparison(w io.Writer, c *matrix.Comparison) error {
	p := &printer{w: w}
	p.f("## bindmatrix on %s\n\n", mdEscape(platformLine(c.Platform)))
	p.f("**%s**\n\n", verdictLine(c))
	p.f("Expected table `%s` (%s). %s.\n", c.Table.File, mdEscape(provenanceLine(c.Table)), summary(c))
	if len(c.Differences) > 0 {
		p.f("\n### Differences (expected → observed)\n")
		for _, g := range diffGrids(c) {
			p.mdGrid(g)
		}
		p.f("\n| cell | expected | observed | witness |\n|---|---|---|---|\n")
		for _, d := range c.Differences {
			where := fmt.Sprintf("line %d", d.Expected.Line)
			if d.Expected.File != "" {
				where = mdEscape(d.Expected.Where(c.Table.File))
			}
			want := fmt.Sprintf("%s (%s)", expectedText(d.Expected), where)
			p.f("| `%s` | %s | %s | %s |\n", d.Cell, want, resultText(d.Result), mdEscape(d.Witness))
		}
	}
	p.mdUnreached(c.Unreached)
	return p.err
}

func (p *printer) mdGrid(g grid) { p.mdTable("#### "+g.group.title(), g) }

// mdTable writes a grid as a Markdown table under heading.
func (p *printer) mdTable(heading string, g grid) {
	p.f("\n%s\n\n| first \\ second |", heading)
	for _, s := range g.second {
		p.f(" %s |", s)
	}
	p.f("\n|---|%s\n", strings.Repeat("---|", len(g.second)))
	for _, f := range g.firsts {
		p.f("| **%s** |", f)
		for _, s := range g.second {
			p.f(" %s |", mdEscape(g.at(f, s)))
		}
		p.f("\n")
	}
}

func (p *printer) mdUnreached(rs []matrix.Result) {
	first := true
	for _, r := range rs {
		if r.Outcome != matrix.Unreached {
			continue
		}
		if first {
			p.f("\n### Unreached cells\n\n| cell | why |\n|---|---|\n")
			first = false
		}
		p.f("| `%s` | %s |\n", r.Cell, mdEscape(r.Note))
	}
}

// mdEscape keeps a value from breaking a table row, or the page.
func mdEscape(s string) string {
	return strings.ReplaceAll(clean(strings.ReplaceAll(s, "\n", " ")), "|", `\|`)
}
