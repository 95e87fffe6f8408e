package matrix

import (
	"os"
	"testing"
)

// TestDocumentedTables holds the documented tables (windows, darwin,
// freebsd) to a few cells their sources state outright, so that a slip in
// an edit of a table shows up here and not as a false regression on a
// runner. The sources are cited in each table's header. Once 'bindmatrix
// accept' has put observed outcomes into a table, the observation wins and
// that platform's cases are skipped.
func TestDocumentedTables(t *testing.T) {
	cell := func(fam Family, st State, fa, sa AddrKind, first, second Option) Cell {
		return NewCell(TCP, fam, st, fa, sa, first, second)
	}
	tests := []struct {
		platform string
		cell     Cell
		want     Outcome
		why      string
	}{
		// Windows: Microsoft's same-user table ("Using SO_REUSEADDR and
		// SO_EXCLUSIVEADDRUSE", Enhanced Socket Security).
		{"windows", cell(IPv4, Bound, Specific, Specific, None, ReuseAddr), "bind:EACCES",
			"ACCESS in the Winsock table, DENIED in the WSK table, WSAEACCES in Wine's test_reuseaddr: not a CHECK cell"},
		{"windows", cell(IPv4, Bound, Wildcard, Specific, None, ReuseAddr), OK,
			"CHECK in the WSK table, Success in the Winsock same-user table: same user, so ok"},
		{"windows", cell(IPv6, Listening, Specific, Specific, ReuseAddr, ReuseAddr), OK,
			"both sockets set SO_REUSEADDR: Success"},
		{"windows", cell(IPv4, Bound, Wildcard, Specific, ExclusiveAddrUse, None), "bind:EACCES",
			"a wildcard SO_EXCLUSIVEADDRUSE socket refuses specific binds: ACCESS"},
		{"windows", cell(IPv4, Bound, Wildcard, Wildcard, None, None), "bind:EADDRINUSE",
			"two plain wildcard binds: INUSE"},
		{"windows", cell(IPv4, TimeWait, Specific, Specific, None, None), OK,
			"a plain bind is not checked against TIME_WAIT (libuv, Go)"},
		{"windows", cell(IPv4, Bound, Specific, Specific, None, ReusePort), Unsupported,
			"Winsock has no SO_REUSEPORT"},
		{"windows", cell(IPv6, Closed, Wildcard, Wildcard, ExclusiveAddrUse, ExclusiveAddrUse), OK,
			"nothing holds the port"},

		// macOS and FreeBSD: in_pcbbind rules.
		{"darwin", cell(IPv4, TimeWait, Specific, Specific, None, None), "bind:EADDRINUSE",
			"no option: the wildcard lookup finds the TIME_WAIT entry"},
		{"darwin", cell(IPv4, TimeWait, Specific, Specific, None, ReuseAddr), OK,
			"SO_REUSEADDR: the exact lookup skips connected sockets"},
		{"darwin", cell(IPv4, Listening, Specific, Specific, ReuseAddr, ReuseAddr), "bind:EADDRINUSE",
			"SO_REUSEADDR never lets two sockets share one address"},
		{"darwin", cell(IPv6, Listening, Wildcard, Wildcard, ReusePort, ReusePort), OK,
			"both set SO_REUSEPORT"},
		{"darwin", cell(IPv4, Bound, Wildcard, Specific, None, ReuseAddr), OK,
			"SO_REUSEADDR passes wildcard-vs-specific"},
		{"darwin", cell(IPv4, Bound, Specific, Specific, ExclusiveAddrUse, None), Unsupported,
			"SO_EXCLUSIVEADDRUSE is Winsock's"},
		{"freebsd", cell(IPv4, TimeWait, Specific, Specific, None, None), "bind:EADDRINUSE",
			"no option: the wildcard lookup finds the TIME_WAIT entry"},
		{"freebsd", cell(IPv6, Established, Wildcard, Specific, ReusePort, ReusePort), OK,
			"SO_REUSEPORT: the exact lookup skips connected sockets"},
		{"freebsd", cell(IPv4, Bound, Specific, Specific, None, ReusePort), "bind:EADDRINUSE",
			"SO_REUSEPORT shares only with a socket that set it too"},
		{"freebsd", cell(IPv4, Closed, Specific, Specific, None, None), OK,
			"the closed socket left the hash tables"},
	}
	tables := map[string]*Table{}
	observed := map[string]bool{}
	for _, platform := range []string{"windows", "darwin", "freebsd"} {
		table, err := LoadTable(os.DirFS("expected"), "expected", platform)
		if err != nil {
			t.Fatalf("%s: %v", platform, err)
		}
		for _, p := range table.Provenance {
			observed[platform] = observed[platform] || p.Kind == "observed"
		}
		tables[platform] = table
	}
	for _, tt := range tests {
		t.Run(tt.platform+"/"+tt.cell.Name(), func(t *testing.T) {
			if observed[tt.platform] {
				t.Skipf("%s.txt holds observed outcomes now; documented spot checks no longer apply", tt.platform)
			}
			got := tables[tt.platform].Entries[tt.cell].Outcome
			if got != tt.want {
				t.Errorf("%s %s = %s, want %s (%s)", tt.platform, tt.cell, got, tt.want, tt.why)
			}
		})
	}
}
