package report

import (
	"bytes"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// Column is one platform's outcomes in the docs bind table: an expected
// table, or an observation given on the command line.
type Column struct {
	Name       string // linux, windows, wine (observed), ...
	Provenance []string
	Sources    []matrix.Source // what cells' claims cite
	Outcomes   map[matrix.Cell]matrix.Outcome
	Deliveries map[matrix.Cell]matrix.Delivery
	// Evidence is each cell's documented and reported claims beside the
	// outcome, where the column comes from a table.
	Evidence map[matrix.Cell]matrix.Evidence
}

// TableColumn makes a column of an expected table, with each cell's
// evidence: where the docs, real runs elsewhere and this harness disagree,
// the docs show each.
func TableColumn(t *matrix.Table) Column {
	col := Column{Name: t.Platform, Sources: t.Sources, Outcomes: map[matrix.Cell]matrix.Outcome{},
		Deliveries: map[matrix.Cell]matrix.Delivery{}, Evidence: map[matrix.Cell]matrix.Evidence{}}
	for _, p := range t.Provenance {
		col.Provenance = append(col.Provenance, p.String())
	}
	for c, e := range t.Entries {
		col.Outcomes[c] = e.Outcome
		col.Deliveries[c] = e.Delivery
		col.Evidence[c] = t.Evidence(c)
	}
	return col
}

// ObservationColumn makes a column of an observation, named for where it ran.
func ObservationColumn(obs *matrix.Observation) Column {
	p := obs.Platform
	col := Column{
		Name:       fmt.Sprintf("%s (observed %s)", p.Name, p.Kernel),
		Provenance: []string{fmt.Sprintf("observed %s/%s kernel %s, %s, %d cells", p.GOOS, p.GOARCH, p.Kernel, p.Go, len(obs.Cells))},
		Outcomes:   map[matrix.Cell]matrix.Outcome{},
		Deliveries: map[matrix.Cell]matrix.Delivery{},
	}
	for _, r := range obs.Cells {
		col.Outcomes[r.Cell] = r.Outcome
		col.Deliveries[r.Cell] = r.Delivery
	}
	return col
}

// disputed counts the column's cells whose evidence disagrees.
func (c Column) disputed() int {
	n := 0
	for _, ev := range c.Evidence {
		if ev.Disputed() {
			n++
		}
	}
	return n
}

// platformOrder puts the platforms people look for first.
var platformOrder = matrix.BindTableOrder()

// SortColumns orders columns: known platforms first, then by name.
func SortColumns(cols []Column) {
	rank := func(c Column) int {
		base, _, _ := strings.Cut(c.Name, " ")
		if i := slices.Index(platformOrder, base); i >= 0 {
			return i
		}
		return len(platformOrder)
	}
	slices.SortStableFunc(cols, func(a, b Column) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		return strings.Compare(a.Name, b.Name)
	})
}

// Where the bind table's pages go, relative to the docs directory: the
// summary across platforms, and one page per platform in a directory of its
// own (a platform's grids alone are 40 to 150 KB).
const (
	BindTableFile = "bind-table.md"
	BindTableDir  = "bind-table"
)

// Page is one generated file: its slash-separated path relative to the
// docs directory, and its text.
type Page struct {
	Path string
	Data []byte
}

// BindTable renders the bind table as pages: first the summary across
// platforms (BindTableFile), which links to each column's page under
// BindTableDir, then those pages in column order. The output depends only
// on the columns, so checked-in copies can be compared byte for byte with
// fresh ones.
func BindTable(cols []Column) ([]Page, error) {
	paths := pagePaths(cols)
	var summary bytes.Buffer
	if err := bindSummary(&summary, cols, paths); err != nil {
		return nil, err
	}
	pages := []Page{{Path: BindTableFile, Data: summary.Bytes()}}
	for i, c := range cols {
		var b bytes.Buffer
		if err := platformPage(&b, c, path.Base(crossPath(paths[i]))); err != nil {
			return nil, err
		}
		pages = append(pages, Page{Path: paths[i], Data: b.Bytes()})
		if c.hasCross() {
			var x bytes.Buffer
			if err := crossPage(&x, c, path.Base(paths[i])); err != nil {
				return nil, err
			}
			pages = append(pages, Page{Path: crossPath(paths[i]), Data: x.Bytes()})
		}
	}
	return pages, nil
}

// crossPath is where a column's cross-family cells go, beside its page:
// bind-table/linux-cross.md.
func crossPath(page string) string { return strings.TrimSuffix(page, ".md") + "-cross.md" }

// hasCross says whether the column has cross-family cells.
func (c Column) hasCross() bool {
	for cell := range c.Outcomes {
		if cell.Family == matrix.Cross {
			return true
		}
	}
	return false
}

// pagePaths names each column's page for its name: "linux" is
// bind-table/linux.md, "linux (observed 6.1.0-27)" is
// bind-table/linux-observed-6.1.0-27.md. Two columns of one name (two
// runners on one kernel) get -2, -3, ... in column order.
func pagePaths(cols []Column) []string {
	var paths []string
	seen := map[string]int{}
	for _, c := range cols {
		slug := pageSlug(c.Name)
		seen[slug]++
		if n := seen[slug]; n > 1 {
			slug = fmt.Sprintf("%s-%d", slug, n)
		}
		paths = append(paths, BindTableDir+"/"+slug+".md")
	}
	return paths
}

// pageSlug keeps letters, digits, dots and underscores of a column name,
// lower case, and makes every other run of characters one hyphen.
func pageSlug(name string) string {
	var b strings.Builder
	hyphen := false
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' {
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			hyphen = false
			b.WriteRune(r)
			continue
		}
		hyphen = true
	}
	if b.Len() == 0 {
		return "platform"
	}
	return b.String()
}

// bindSummary writes the summary page: the sources, the cross-platform
// tables with the rows where platforms disagree marked, and a link to each
// column's page (paths[i] is column i's).
func bindSummary(w io.Writer, cols []Column, paths []string) error {
	p := &printer{w: w}
	p.f("# The bind table\n\n")
	p.f("<!-- Generated by 'bindmatrix docs' from matrix/expected/*.txt; do not edit. -->\n\n")
	p.f("Whether a second socket can `bind()` (and, for TCP, `listen()` on) the port of a first one,\n")
	p.f("by operating system, the option each socket set, the first socket's state and the addresses.\n")
	p.f("Unless a section says otherwise both sockets belong to the same process. Outcomes: `ok`;\n")
	p.f("the error of the call that failed (`EADDRINUSE` for bind, `listen: E...` for listen); `n/a`\n")
	p.f("when an option does not exist on that OS; `?` when no source says (see the table's\n")
	p.f("comments); `-` when the platform's table does not cover the cell. `[both]`, `[first]`,\n")
	p.f("`[second]` say which socket received the connections or datagrams sent once both could.\n")
	p.f("`ss`, `sw`, `ws`, `ww` say whether the first and second socket bound the loopback\n")
	p.f("(specific) or the unspecified (wildcard) address. [The matrix](matrix.md) explains how each\n")
	p.f("state is reached and proven. This page compares the platforms; each platform's page has\n")
	p.f("every one of its cells.\n\n")

	p.f("## Sources\n\n| platform | provenance |\n|---|---|\n")
	for i, c := range cols {
		p.f("| [%s](%s) | %s |\n", mdEscape(c.Name), paths[i], mdEscape(strings.Join(c.Provenance, "; ")))
	}

	p.f("\n## Across platforms\n\n")
	p.f("One row per state and option pair; where a platform's outcome depends on the addresses\n")
	p.f("or the family, the cell lists each. **≠** marks rows where the platforms that have both\n")
	p.f("options disagree.\n")
	for _, proto := range matrix.Protos() {
		for _, st := range matrix.StatesOf(proto) {
			p.f("\n### %s %s\n", proto, st)
			p.summaryTable(cols, func(first, second matrix.Option) []matrix.Cell {
				var cells []matrix.Cell
				for _, fam := range []matrix.Family{matrix.IPv4, matrix.IPv6} {
					for _, pair := range addrPairs() {
						cells = append(cells, matrix.NewCell(proto, fam, st, pair.first, pair.second, first, second))
					}
				}
				return cells
			})
		}
	}

	p.f("\n## Dual-stack\n\n")
	p.f("An IPv4 socket against an IPv6 socket with `IPV6_V6ONLY=0`, both ways, and two dual-stack\n")
	p.f("sockets. A dual-stack socket's specific address is `::ffff:127.0.0.1`.\n")
	for _, proto := range matrix.Protos() {
		for _, pair := range matrix.DualPairs {
			for _, st := range matrix.StatesOf(proto) {
				p.f("\n### %s %s, first %s, second %s\n", proto, st, pair[0], pair[1])
				p.summaryTable(cols, func(first, second matrix.Option) []matrix.Cell {
					var cells []matrix.Cell
					for _, ap := range addrPairs() {
						c := matrix.NewCell(proto, matrix.Dual, st, ap.first, ap.second, first, second)
						c.FirstFamily, c.SecondFamily = pair[0], pair[1]
						cells = append(cells, c)
					}
					return cells
				})
			}
		}
	}

	p.f("\n## Cross-family\n\n")
	p.f("The rest of the address space, on its own page per platform: an IPv6-only socket against an\n")
	p.f("IPv4 or dual-stack one (`127.0.0.1` against `::1`, `0.0.0.0` against `[::]` v6-only, ...), and a\n")
	p.f("dual-stack socket on `::1` (`specific_v6`) or on the v4-mapped wildcard `::ffff:0.0.0.0`\n")
	p.f("(`wildcard_mapped`) against anything. Delivery is measured by traffic aimed at the first\n")
	p.f("socket's address. Platforms whose sources do not cover these cells scope them out.\n\n")
	for i, c := range cols {
		if c.hasCross() {
			p.f("- [%s](%s): %d cross-family cells\n", mdEscape(c.Name), crossPath(paths[i]), c.countFamily(matrix.Cross))
		}
	}

	p.f("\n## Kernels that answer otherwise\n\n")
	p.f("A kernel the QEMU lane checks that differs from its platform's table has an override\n")
	p.f("table; [the kernels' page](%s/%s) lists each, its cells and the deviations that explain them.\n", BindTableDir, KernelsFile)

	p.f("\n## Another process, another user\n\n")
	p.f("The second socket is bound by a child process of the same user, or of another user\n")
	p.f("(`nobody`; Unix only): how a takeover happens in practice. TCP over IPv4 here; each\n")
	p.f("platform's page has every other-process cell.\n")
	for _, proc := range []matrix.Process{matrix.OtherProcess, matrix.OtherUser} {
		for _, st := range []matrix.State{matrix.Listening, matrix.TimeWait} {
			p.f("\n### tcp %s, second socket in %s\n", st, map[matrix.Process]string{matrix.OtherProcess: "another process", matrix.OtherUser: "another user's process"}[proc])
			p.summaryTable(cols, func(first, second matrix.Option) []matrix.Cell {
				var cells []matrix.Cell
				for _, ap := range addrPairs() {
					c := matrix.NewCell(matrix.TCP, matrix.IPv4, st, ap.first, ap.second, first, second)
					c.Process = proc
					cells = append(cells, c)
				}
				return cells
			})
		}
	}

	p.f("\n## Each platform\n\n")
	p.f("Every cell of a platform, as first-option × second-option grids, with the sources its cells cite:\n\n")
	for i, c := range cols {
		p.f("- [%s](%s): %d cells", mdEscape(c.Name), paths[i], len(c.Outcomes))
		if n := c.disputed(); n > 0 {
			p.f(", %d disputed", n)
		}
		p.f("\n")
	}
	return p.err
}

// countFamily counts the column's cells of family fam.
func (c Column) countFamily(fam matrix.Family) int {
	n := 0
	for cell := range c.Outcomes {
		if cell.Family == fam {
			n++
		}
	}
	return n
}

// crossPage writes one column's cross-family cells, as grids.
func crossPage(w io.Writer, c Column, pageFile string) error {
	p := &printer{w: w}
	p.f("# The bind table: %s, cross-family\n\n", c.Name)
	p.f("<!-- Generated by 'bindmatrix docs' from matrix/expected/*.txt; do not edit. -->\n\n")
	p.f("The cross-family cells of %s (%d): an IPv6-only socket against an IPv4 or dual-stack\n", mdEscape(c.Name), c.countFamily(matrix.Cross))
	p.f("one, and a dual-stack socket on `::1` (`specific_v6`) or `::ffff:0.0.0.0` (`wildcard_mapped`)\n")
	p.f("against anything; each grid's title names both sockets' families and addresses. Delivery\n")
	p.f("is measured by traffic aimed at the first socket's address. Sources, outcomes and\n")
	p.f("abbreviations as on [the platform's page](%s).\n", pageFile)
	p.platformGrids(c, true)
	return p.err
}

// platformPage writes one column's page: its provenance, the sources its
// cells cite, and its grids; cross-family cells go to crossFile.
func platformPage(w io.Writer, c Column, crossFile string) error {
	p := &printer{w: w}
	p.f("# The bind table: %s\n\n", c.Name)
	p.f("<!-- Generated by 'bindmatrix docs' from matrix/expected/*.txt; do not edit. -->\n\n")
	p.f("Every cell of %s, as grids of the first socket's option (rows) by the second's (columns).\n", mdEscape(c.Name))
	p.f("Outcomes and abbreviations are spelled as in [the summary across platforms](../%s).\n\n", BindTableFile)
	p.f("## Sources\n\n")
	for _, prov := range c.Provenance {
		p.f("- %s\n", mdEscape(prov))
	}
	if len(c.Sources) > 0 {
		p.f("\nSources cells cite (documented: a vendor page, man page or kernel source; reported: a real run\n")
		p.f("elsewhere that proved the first socket's state; reported-unproven: one that did not; observed:\n")
		p.f("this harness):\n\n| source | kind | what |\n|---|---|---|\n")
		for _, src := range c.Sources {
			p.f("| %s | %s | %s |\n", src.ID, src.Kind, mdEscape(src.Text))
		}
		if n := c.disputed(); n > 0 {
			p.f("\n%d cells are **disputed**: their kinds of evidence disagree, and each cell says how.\n", n)
		}
	}
	if c.hasCross() {
		p.f("\nThe %d cross-family cells are on [their own page](%s).\n", c.countFamily(matrix.Cross), crossFile)
	}
	p.platformGrids(c, false)
	return p.err
}

// summaryTable writes one row per option pair, a column per platform, each
// cell summarising the cells cellsOf gives for that pair.
func (p *printer) summaryTable(cols []Column, cellsOf func(first, second matrix.Option) []matrix.Cell) {
	p.f("\n| | first | second |")
	for _, c := range cols {
		p.f(" %s |", c.Name)
	}
	p.f("\n|---|---|---|%s\n", strings.Repeat("---|", len(cols)))
	for _, first := range matrix.Options() {
		for _, second := range matrix.Options() {
			cells := cellsOf(first, second)
			var texts, distinct []string
			for _, c := range cols {
				text := summarise(c, cells)
				texts = append(texts, text)
				if text != "n/a" && text != "?" && text != "-" && !slices.Contains(distinct, text) {
					distinct = append(distinct, text)
				}
			}
			if !slices.ContainsFunc(texts, func(t string) bool { return t != "n/a" && t != "-" }) {
				continue
			}
			mark := ""
			if len(distinct) > 1 {
				mark = "**≠**"
			}
			p.f("| %s | %s | %s | %s |\n", mark, first, second, strings.Join(texts, " | "))
		}
	}
}

type addrPair struct{ first, second matrix.AddrKind }

func (a addrPair) String() string { return a.first.String()[:1] + a.second.String()[:1] }

func addrPairs() []addrPair {
	var out []addrPair
	for _, f := range matrix.AddrKindsOf(matrix.SockIPv4) {
		for _, s := range matrix.AddrKindsOf(matrix.SockIPv4) {
			out = append(out, addrPair{f, s})
		}
	}
	return out
}

// spell writes an outcome for people.
func spell(o matrix.Outcome) string {
	switch o {
	case matrix.Unsupported:
		return "n/a"
	case matrix.Unknown:
		return "?"
	case "":
		return "-"
	}
	if o.Call() == "bind" {
		return o.Errno()
	}
	if o.Call() != "" {
		return o.Call() + ": " + o.Errno()
	}
	return string(o)
}

// spellCell is a cell's outcome with its delivery and, where the kinds of
// evidence disagree, each of them and the word "disputed" people can
// search for: "ok · docs: EADDRINUSE · real runs: ok (2 sources) · disputed".
// A cell that real runs confirm says how many.
func (c Column) spellCell(cell matrix.Cell) string {
	text := spell(c.Outcomes[cell])
	if d := c.Deliveries[cell]; d != "" {
		text += " [" + string(d) + "]"
	}
	ev, ok := c.Evidence[cell]
	if !ok {
		return text
	}
	if !ev.Disputed() {
		if n := len(ev.Reported); n > 0 && ev.Kind != matrix.Observed {
			text += fmt.Sprintf(" (real runs: %d)", n)
		}
		return text
	}
	if d, ok := ev.DocumentedOutcome(); ok && (d != ev.Outcome || ev.Kind != matrix.Documented) {
		text += " · docs: " + spell(d)
	}
	if len(ev.Reported) > 0 {
		text += " · real runs: " + reportedText(ev)
	}
	return text + " · disputed"
}

// reportedText spells what real runs reported: each outcome and how many
// sources say it, "unproven" where none of them proved the state.
func reportedText(ev matrix.Evidence) string {
	var order []matrix.Outcome
	count, proven := map[matrix.Outcome]int{}, map[matrix.Outcome]bool{}
	for _, cl := range ev.Reported {
		if count[cl.Outcome] == 0 {
			order = append(order, cl.Outcome)
		}
		count[cl.Outcome]++
		if s, ok := ev.Source(cl.Source); ok && s.Kind == matrix.Reported {
			proven[cl.Outcome] = true
		}
	}
	var parts []string
	for _, o := range order {
		part := fmt.Sprintf("%s (%d source", spell(o), count[o])
		if count[o] > 1 {
			part += "s"
		}
		if !proven[o] {
			part += ", unproven"
		}
		parts = append(parts, part+")")
	}
	return strings.Join(parts, ", ")
}

// summarise spells a platform's outcomes over cells that differ only in
// family and addresses: one word when they agree, else each address pair's
// outcome (per family when the families differ).
func summarise(c Column, cells []matrix.Cell) string {
	byFamily := map[matrix.Family][]string{}
	var families []matrix.Family
	var pairs []string
	all := map[string]bool{}
	for _, cell := range cells {
		s := c.spellCell(cell)
		if _, seen := byFamily[cell.Family]; !seen {
			families = append(families, cell.Family)
		}
		byFamily[cell.Family] = append(byFamily[cell.Family], s)
		if len(families) == 1 {
			pairs = append(pairs, addrPair{cell.FirstAddr, cell.SecondAddr}.String())
		}
		all[s] = true
	}
	if len(all) == 1 {
		for s := range all {
			return s
		}
	}
	perPair := func(outcomes []string) string {
		var parts []string
		for i, o := range outcomes {
			parts = append(parts, pairs[i]+": "+o)
		}
		return strings.Join(parts, ", ")
	}
	if len(families) == 1 || slices.Equal(byFamily[families[0]], byFamily[families[1]]) {
		return perPair(byFamily[families[0]])
	}
	var parts []string
	for _, fam := range families {
		parts = append(parts, fam.String()+" "+perPair(byFamily[fam]))
	}
	return strings.Join(parts, "; ")
}

// platformGrids writes a first-option × second-option grid for every group
// of the column's cells; an IPv6 grid identical to its IPv4 twin is folded
// into it.
func (p *printer) platformGrids(c Column, cross bool) {
	var cells []matrix.Cell
	for cell := range c.Outcomes {
		if (cell.Family == matrix.Cross) == cross {
			cells = append(cells, cell)
		}
	}
	gs := grids(cells, c.spellCell)
	twins := map[group]grid{}
	for _, g := range gs {
		twins[g.group] = g
	}
	lastState := ""
	for _, g := range gs {
		key := g.group.key
		heading := fmt.Sprintf("%s %s", key.Proto, key.State)
		if key.Process != matrix.SameProcess {
			heading += ", second socket in " + key.Process.String() + " process"
		}
		if heading != lastState {
			p.f("\n## %s\n", heading)
			lastState = heading
		}
		title := g.group.title()
		if key.Family == matrix.IPv6 {
			v4 := key
			v4.Family, v4.FirstFamily, v4.SecondFamily = matrix.IPv4, matrix.SockIPv4, matrix.SockIPv4
			if twin, ok := twins[group{v4}]; ok && sameText(twin, g) {
				continue
			}
		}
		if key.Family == matrix.IPv4 {
			v6 := key
			v6.Family, v6.FirstFamily, v6.SecondFamily = matrix.IPv6, matrix.SockIPv6, matrix.SockIPv6
			if twin, ok := twins[group{v6}]; ok && sameText(twin, g) {
				title = strings.Replace(title, " ipv4 ", " ipv4 and ipv6 ", 1)
			}
		}
		p.mdTable(title+":", g)
	}
}

// sameText says whether two grids of twin groups read the same.
func sameText(a, b grid) bool {
	if len(a.text) != len(b.text) {
		return false
	}
	for _, f := range matrix.Options() {
		for _, s := range matrix.Options() {
			if a.at(f, s) != b.at(f, s) {
				return false
			}
		}
	}
	return true
}
