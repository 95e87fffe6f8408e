package matrix

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fullTable writes a valid table holding every cell with outcome ok.
func fullTable(platform string) string {
	t := NewTable(platform+".txt", platform)
	t.Provenance = []Provenance{{Kind: "documented", Text: "a test"}}
	for _, c := range AllCellsOn(platform) {
		t.Entries[c] = Entry{Outcome: OK}
	}
	return string(t.Format())
}

// lineOf finds the 1-based line number of the first line containing s.
func lineOf(t *testing.T, text, s string) int {
	t.Helper()
	for i, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	t.Fatalf("no line contains %q", s)
	return 0
}

func TestCheckedInTablesParseAndRoundTrip(t *testing.T) {
	entries, err := os.ReadDir("expected")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		platform, ok := strings.CutSuffix(e.Name(), ".txt")
		if !ok {
			continue
		}
		t.Run(platform, func(t *testing.T) {
			table, err := LoadTable(os.DirFS("expected"), "expected", platform)
			if err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile("expected/" + e.Name())
			if err != nil {
				t.Fatal(err)
			}
			// Format is what accept writes: a table that is already in
			// canonical form must come back byte for byte.
			if diff := cmp.Diff(string(data), string(table.Format())); diff != "" {
				t.Errorf("Format(Parse(%s)) changed the file (-file +formatted):\n%s", e.Name(), diff)
			}
		})
	}
}

func TestParseTableRejectsBadInput(t *testing.T) {
	good := fullTable("linux")
	firstCell := "tcp     ipv4   bound       specific   specific    none                none                ok"
	firstLine := lineOf(t, good, firstCell)
	for _, tc := range []struct {
		name     string
		text     string
		wantLine int
		wantMsg  string
	}{
		{"unknown state", strings.Replace(good, firstCell, strings.Replace(firstCell, "bound", "boundd", 1), 1),
			firstLine, `column 3 (state): unknown state "boundd"`},
		{"unknown option", strings.Replace(good, firstCell, strings.Replace(firstCell, "none                ok", "reuseaddr ok", 1), 1),
			firstLine, `unknown option "reuseaddr"`},
		{"bad outcome", strings.Replace(good, firstCell, strings.Replace(firstCell, " ok", " bind:eaddrinuse", 1), 1),
			firstLine, "column 8 (outcome)"},
		{"unreached is not an expectation", strings.Replace(good, firstCell, strings.Replace(firstCell, " ok", " unreached", 1), 1),
			firstLine, "unreached"},
		{"too few columns", strings.Replace(good, firstCell, "tcp ipv4 bound specific", 1),
			firstLine, "want 8 columns"},
		{"duplicate cell", strings.Replace(good, firstCell, firstCell+"\n"+firstCell, 1),
			firstLine + 1, "duplicate cell tcp/ipv4/bound/specific-specific/none-none (first at line"},
		{"CRLF", strings.ReplaceAll(good, "\n", "\r\n"),
			1, "CRLF"},
		{"unknown without reason", strings.Replace(good, firstCell, strings.Replace(firstCell, " ok", " unknown", 1), 1),
			firstLine, "needs a reason"},
		{"directive after cells", good + "platform windows\n",
			strings.Count(good, "\n") + 1, "before the first cell"},
		{"unknown key", strings.Replace(good, firstCell, firstCell+" colour=red", 1),
			firstLine, `column 9 (key=value): unknown key "colour"`},
		{"not key=value", strings.Replace(good, firstCell, firstCell+" both", 1),
			firstLine, `"both" after the outcome is not key=value`},
		{"bad delivery", strings.Replace(good, firstCell, firstCell+" delivery=all", 1),
			firstLine, `unknown delivery "all"`},
		{"dual without families", strings.Replace(good, firstCell, strings.Replace(firstCell, "ipv4", "dual", 1), 1),
			firstLine, "a dual cell needs first_family= and second_family="},
		{"families on a plain cell", strings.Replace(good, firstCell, firstCell+" first_family=ipv6 second_family=ipv6", 1),
			firstLine, "first_family and second_family belong to dual and cross cells only"},
		{"udp has no listening", strings.Replace(good, firstCell, strings.Replace(strings.Replace(firstCell, "tcp", "udp", 1), "bound    ", "listening", 1), 1),
			firstLine, "state listening does not apply to udp"},
		{"bad scope", strings.Replace(good, "provenance documented a test", "provenance documented a test\nscope colour=red", 1),
			lineOf(t, good, "provenance") + 1, "scope: unknown filter key"},
		{"byte order mark", "\xef\xbb\xbf" + good, 1, "byte order mark"},
		{"delivery on a bound tcp cell", strings.Replace(good, firstCell, firstCell+" delivery=both", 1),
			firstLine, "delivery= applies only to an ok cell whose two sockets both receive"},
		{"bad provenance", strings.Replace(good, "provenance documented", "provenance guessed", 1),
			lineOf(t, good, "provenance"), "observed|documented"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseTable("linux.txt", []byte(tc.text))
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("ParseTable = %v, want an *InputError", err)
			}
			if ie.File != "linux.txt" || ie.Line != tc.wantLine {
				t.Errorf("error at %s:%d, want linux.txt:%d (%v)", ie.File, ie.Line, tc.wantLine, err)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not say %q", err, tc.wantMsg)
			}
		})
	}
}

func TestLoadTableRefusesMissingCellsAndWrongPlatform(t *testing.T) {
	good := fullTable("linux")
	lastCell := strings.Split(strings.TrimSpace(good), "\n")
	short := strings.Join(lastCell[:len(lastCell)-1], "\n") + "\n"
	fsys := mapFS{"linux.txt": short, "darwin.txt": good}

	_, err := LoadTable(fsys, "dir", "linux")
	if err == nil || !strings.Contains(err.Error(), "dir/linux.txt: 1 of 21504 cells missing, first udp/cross:ipv6-dualstack:ipv6-dualstack/closed/wildcard_mapped-wildcard_mapped/SO_REUSEPORT-SO_REUSEPORT/other-user") {
		t.Errorf("short table: %v", err)
	}
	_, err = LoadTable(fsys, "dir", "darwin")
	if err == nil || !strings.Contains(err.Error(), `says platform "linux"`) {
		t.Errorf("misnamed table: %v", err)
	}
	_, err = LoadTable(fsys, "dir", "plan9")
	if !errors.Is(err, ErrNoTable) {
		t.Errorf("absent table: %v, want ErrNoTable", err)
	}
}

// TestPartialAcceptNamesItsSource: an observation of some cells does not
// replace the table's provenance (the other cells' outcomes did not come
// from it): the cells it changed name it with by=, and comments stay.
func TestPartialAcceptNamesItsSource(t *testing.T) {
	text := "# header comment\nplatform linux\nprovenance observed old run\nprovenance documented a book\n" +
		"# about the first cell\n# proto" + strings.SplitN(fullTable("linux"), "# proto", 2)[1]
	table, err := ParseTable("linux.txt", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	cell := AllCells()[5]
	obs := &Observation{Cells: []Result{
		{Cell: cell, Outcome: Failed("bind", "EADDRINUSE")},
		{Cell: AllCells()[6], Outcome: Unreached},
	}}
	unaccepted := table.Accept(obs, Provenance{Kind: "observed", Text: "new run 2026-11-24"})
	if len(unaccepted) != 1 || unaccepted[0].Cell != AllCells()[6] {
		t.Errorf("unaccepted = %v, want the unreached cell", unaccepted)
	}
	out := string(table.Format())
	for _, want := range []string{"# header comment\n", "# about the first cell\n", "provenance observed old run\nprovenance documented a book\n",
		"source new-run-2026-11-24 observed new run 2026-11-24\n", "bind:EADDRINUSE by=new-run-2026-11-24"} {
		if !strings.Contains(out, want) {
			t.Errorf("accepted table lacks %q:\n%s", want, out[:600])
		}
	}
	again, err := ParseTable("linux.txt", []byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if ev := again.Evidence(cell); ev.Outcome != "bind:EADDRINUSE" || ev.By != "new-run-2026-11-24" || ev.Kind != Observed {
		t.Errorf("accepted cell reads %+v", ev)
	}
	if got := again.Entries[AllCells()[6]]; got.Outcome != OK || got.By != "" {
		t.Errorf("unreached cell changed to %+v", got)
	}
}

// TestWholeAcceptReplacesProvenance: an observation of every cell becomes
// the table's provenance, and earlier partial sources nobody cites go.
func TestWholeAcceptReplacesProvenance(t *testing.T) {
	table, err := ParseTable("linux.txt", []byte(fullTable("linux")))
	if err != nil {
		t.Fatal(err)
	}
	table.Accept(&Observation{Cells: []Result{{Cell: AllCells()[0], Outcome: OK}}}, Provenance{Kind: "observed", Text: "partial"})
	var all []Result
	for _, c := range AllCellsOn("linux") {
		all = append(all, Result{Cell: c, Outcome: Failed("bind", "EADDRINUSE")})
	}
	table.Accept(&Observation{Cells: all}, Provenance{Kind: "observed", Text: "whole run"})
	out := string(table.Format())
	if !strings.Contains(out, "provenance observed whole run\n") || strings.Contains(out, "by=") || strings.Contains(out, "source partial") {
		t.Errorf("after a whole accept:\n%.800s", out)
	}
}

func TestAcceptOnADocumentedTableKeepsWhatTheDocsSaid(t *testing.T) {
	table, err := ParseTable("windows.txt", []byte(fullTable("windows")))
	if err != nil {
		t.Fatal(err)
	}
	differs, same := AllCells()[0], AllCells()[1]
	table.Accept(&Observation{Cells: []Result{
		{Cell: differs, Outcome: Failed("bind", "EACCES")},
		{Cell: same, Outcome: OK},
	}}, Provenance{Kind: "observed", Text: "windows 10.0.26100"})
	again, err := ParseTable("windows.txt", table.Format())
	if err != nil {
		t.Fatal(err)
	}
	ev := again.Evidence(differs)
	if d, ok := ev.DocumentedOutcome(); !ok || d != OK || ev.Outcome != "bind:EACCES" || ev.Kind != Observed || !ev.Disputed() {
		t.Errorf("changed cell: %+v, want observed bind:EACCES beside documented ok, disputed", ev)
	}
	if ev := again.Evidence(same); len(ev.Documented) != 0 || ev.Disputed() {
		t.Errorf("a cell the observation confirmed carries a documented claim: %+v", ev)
	}
	// A second accept does not stack claims.
	again.Accept(&Observation{Cells: []Result{{Cell: differs, Outcome: OK}}}, Provenance{Kind: "observed", Text: "again"})
	if d := again.Entries[differs].Documented; len(d) != 1 {
		t.Errorf("documented claims after two accepts: %v", d)
	}
}

func TestTableScopeLimitsWhatMustBePresent(t *testing.T) {
	tcp := NewTable("darwin.txt", "darwin")
	tcp.Provenance = []Provenance{{Kind: "documented", Text: "a book"}}
	tcp.Scope, _ = ParseFilter("proto=tcp,process=same,family=ipv4,family=ipv6")
	for _, c := range tcp.Scope.Select(AllCells()) {
		tcp.Entries[c] = Entry{Outcome: OK}
	}
	text := tcp.Format()
	table, err := ParseTable("darwin.txt", text)
	if err != nil {
		t.Fatal(err)
	}
	if err := table.Complete(AllCells()); err != nil {
		t.Errorf("a table complete within its scope: %v", err)
	}
	udp := NewCell(UDP, IPv4, Bound, Specific, Specific, None, None)
	if table.Covers(udp) {
		t.Errorf("the tcp-only table covers %s", udp)
	}
	// An observed cell outside the scope has no expectation: not a
	// difference, not agreement.
	c := Compare(table, &Observation{Cells: []Result{{Cell: udp, Outcome: OK}}})
	if len(c.Unknown) != 1 || len(c.Differences) != 0 || c.Compared != 0 {
		t.Errorf("out-of-scope cell: %d unknown, %d differences, %d compared", len(c.Unknown), len(c.Differences), c.Compared)
	}
	withUDP := strings.Replace(string(text), "# proto", "udp ipv4 bound specific specific none none ok\n# proto", 1)
	if _, err := ParseTable("darwin.txt", []byte(withUDP)); err == nil || !strings.Contains(err.Error(), "outside the table's scope") {
		t.Errorf("a cell outside the scope was accepted: %v", err)
	}
}

// TestAcceptOfAnotherKernelThatAgreesIsRecorded: a whole run on another
// kernel that sees every cell as the table has it adds an agreed line and
// leaves the table's origin; one that differs replaces the table as before.
func TestAcceptOfAnotherKernelThatAgreesIsRecorded(t *testing.T) {
	table, err := ParseTable("linux.txt", []byte(fullTable("linux")))
	if err != nil {
		t.Fatal(err)
	}
	table.Provenance = []Provenance{{Kind: "observed", Text: "linux kernel 6.18.44 linux/amd64 go1.26.8 2026-11-23"}}
	origin := table.Provenance[0]
	run := func() *Observation {
		var cells []Result
		for _, c := range AllCellsOn("linux") {
			e := table.Entries[c]
			cells = append(cells, Result{Cell: c, Outcome: e.Outcome, Delivery: e.Delivery})
		}
		return &Observation{Cells: cells}
	}
	for range 2 { // twice: one line per kernel
		table.Accept(run(), Provenance{Kind: "observed", Text: "linux kernel 5.10.0-32-cloud-amd64 linux/amd64 go1.26.8 2026-11-24"})
	}
	again, err := ParseTable("linux.txt", table.Format())
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Provenance) != 2 || again.Provenance[0] != origin || again.Provenance[1].Kind != "agreed" || !strings.Contains(again.Provenance[1].Text, "5.10.0-32") {
		t.Errorf("provenance after an agreeing run of another kernel: %+v", again.Provenance)
	}
	differing := run()
	differing.Cells[0].Outcome = OK
	if differing.Cells[0].Outcome == table.Entries[differing.Cells[0].Cell].Outcome {
		differing.Cells[0].Outcome = Failed("bind", "EADDRINUSE")
	}
	again.Accept(differing, Provenance{Kind: "observed", Text: "linux kernel 4.19.0"})
	if again.Provenance[0].Text != "linux kernel 4.19.0" {
		t.Errorf("a differing whole run did not become the table's origin: %+v", again.Provenance)
	}
}

// TestUnknownCellsKeepTheirSharedReason: unknown cells that share the
// reason above the first of them stay together in Format's canonical order;
// one whose cell above became known gets the reason written again, so that
// the table still parses.
func TestUnknownCellsKeepTheirSharedReason(t *testing.T) {
	// Out of canonical order: the closed cell sorts between the two unknown
	// established ones.
	text := "platform linux\nprovenance observed here\n" +
		"tcp ipv4 closed wildcard wildcard SO_REUSEADDR none ok\n" +
		"# nobody has run these\n" +
		"tcp ipv4 established specific specific none SO_REUSEPORT unknown\n" +
		"tcp ipv6 established specific specific none SO_REUSEPORT unknown\n"
	table, err := ParseTable("matrix/expected/linux.txt", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	formatted := table.Format()
	if _, err := ParseTable("matrix/expected/linux.txt", formatted); err != nil {
		t.Fatalf("the formatted table does not parse: %v\n%s", err, formatted)
	}
	if n := strings.Count(string(formatted), "nobody has run these"); n != 1 {
		t.Errorf("the shared reason is written %d times, want once:\n%s", n, formatted)
	}
	head := NewCell(TCP, IPv4, Established, Specific, Specific, None, ReusePort)
	e := table.Entries[head]
	e.Outcome = OK // as accept does once a run answers the cell
	table.Entries[head] = e
	formatted = table.Format()
	again, err := ParseTable("matrix/expected/linux.txt", formatted)
	if err != nil {
		t.Fatalf("once the first unknown cell is known, the table does not parse: %v\n%s", err, formatted)
	}
	if n := strings.Count(string(formatted), "nobody has run these"); n != 2 {
		t.Errorf("the reason is written %d times, want twice (above the head, and again for the cell that shared it):\n%s", n, formatted)
	}
	if !bytes.Equal(again.Format(), formatted) {
		t.Error("Format is not stable once the reason is written again")
	}
}
