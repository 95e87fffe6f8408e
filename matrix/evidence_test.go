package matrix

import (
	"errors"
	"strings"
	"testing"
)

const evidenceTable = `platform windows
provenance documented Microsoft Learn
source ms documented Microsoft Learn, "Using SO_REUSEADDR and SO_EXCLUSIVEADDRUSE"
source wine reported Wine dlls/ws2_32/tests/sock.c:2450, passes on Windows on Wine's test bot
source dyno reported-unproven Dynoxide 0.11.3: sleeps 50 ms, never proves TIME_WAIT
# proto family state       first_addr second_addr first               second              outcome
tcp     ipv4   bound       specific   specific    none                SO_REUSEADDR        bind:EACCES reported=bind:EACCES@wine
tcp     ipv4   time_wait   specific   specific    SO_EXCLUSIVEADDRUSE SO_EXCLUSIVEADDRUSE ok documented=bind:EADDRINUSE@ms reported=ok@dyno
tcp     ipv4   closed      specific   specific    none                none                ok
tcp     ipv4   listening   specific   specific    none                none                bind:EADDRINUSE reported=fails@wine
tcp     ipv4   listening   specific   specific    SO_REUSEADDR        SO_REUSEADDR        ok reported=ok@wine
tcp     ipv4   established specific   specific    none                none                unknown  # no source says
tcp     ipv4   established specific   specific    none                SO_REUSEADDR        unknown
`

func TestEvidenceKindsStayApart(t *testing.T) {
	table, err := ParseTable("windows.txt", []byte(evidenceTable))
	if err != nil {
		t.Fatal(err)
	}
	confirmed := table.Evidence(NewCell(TCP, IPv4, Bound, Specific, Specific, None, ReuseAddr))
	if confirmed.Kind != Reported || confirmed.Disputed() || len(confirmed.Reported) != 1 {
		t.Errorf("a cell real runs confirm: %+v", confirmed)
	}
	disputed := table.Evidence(NewCell(TCP, IPv4, TimeWait, Specific, Specific, ExclusiveAddrUse, ExclusiveAddrUse))
	if d, _ := disputed.DocumentedOutcome(); disputed.Kind != ReportedUnproven || !disputed.Disputed() || d != Failed("bind", "EADDRINUSE") {
		t.Errorf("a cell real runs dispute: %+v", disputed)
	}
	if s, ok := disputed.Source("dyno"); !ok || s.Kind != ReportedUnproven || !strings.Contains(s.Text, "never proves") {
		t.Errorf("source dyno: %+v %v", s, ok)
	}
	plain := table.Evidence(NewCell(TCP, IPv4, Closed, Specific, Specific, None, None))
	if plain.Kind != Documented || plain.Disputed() {
		t.Errorf("a cell only the docs speak of: %+v", plain)
	}
	// A run that only asserted a failure confirms any failure.
	failing := table.Evidence(NewCell(TCP, IPv4, Listening, Specific, Specific, None, None))
	if failing.Disputed() || failing.Kind != Documented {
		t.Errorf("a failure a run confirms without its error: %+v", failing)
	}
	// Written back, the claims and sources are as they were.
	again, err := ParseTable("windows.txt", table.Format())
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Sources) != 3 || again.Entries[disputed.cell(t, table)].Reported[0] != (Claim{Outcome: OK, Source: "dyno"}) {
		t.Errorf("round trip lost evidence:\n%s", table.Format())
	}
}

// cell finds the cell whose evidence this is, for the round-trip check.
func (e Evidence) cell(t *testing.T, table *Table) Cell {
	for c := range table.Entries {
		if ev := table.Evidence(c); ev.Outcome == e.Outcome && len(ev.Reported) == len(e.Reported) && ev.By == e.By && len(ev.Documented) == len(e.Documented) && len(e.Documented) > 0 {
			return c
		}
	}
	t.Fatal("no such cell")
	return Cell{}
}

// TestEvidenceRules: every defect is an input error naming the line.
func TestEvidenceRules(t *testing.T) {
	for name, tc := range map[string]struct{ edit, with, want string }{
		"outcome not the strongest": {"SO_REUSEADDR        bind:EACCES reported=bind:EACCES@wine", "SO_REUSEADDR        ok reported=bind:EACCES@wine", "the strongest evidence"},
		"undeclared source":         {"reported=bind:EACCES@wine", "reported=bind:EACCES@nobody", `no reported source "nobody"`},
		"claim without source":      {"reported=bind:EACCES@wine", "reported=bind:EACCES", "names no source"},
		"claim of a wrong kind":     {"reported=bind:EACCES@wine", "reported=bind:EACCES@ms", `no reported source "ms"`},
		"unknown kind":              {"source dyno reported-unproven", "source dyno hearsay", "unknown source kind"},
		"declared twice":            {"source dyno reported-unproven", "source wine reported-unproven", "declared twice"},
		"claim of unreached":        {"reported=ok@dyno", "reported=unreached@dyno", "not unreached"},
		"fails against ok":          {"ok reported=ok@wine", "ok reported=fails@wine", "the strongest evidence"},
		"fails as an outcome":       {"bind:EADDRINUSE reported=fails@wine", "fails", "unknown outcome"},
		"unknown without a reason":  {"unknown  # no source says", "unknown", "needs a reason"},
	} {
		text := strings.Replace(evidenceTable, tc.edit, tc.with, 1)
		_, err := ParseTable("windows.txt", []byte(text))
		var ie *InputError
		if !errors.As(err, &ie) || ie.Line == 0 || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error at a line saying %q", name, err, tc.want)
		}
	}
}
