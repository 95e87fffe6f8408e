package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/bindmatrix/bindmatrix/matrix"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fixture is a small, fixed observation and table that exercise every kind
// of result: agreeing, differing, unreached, unknown and a cell the table
// lacks.
func fixture() (*matrix.Observation, *matrix.Table) {
	cell := func(state matrix.State, first, second matrix.Option) matrix.Cell {
		return matrix.NewCell(matrix.TCP, matrix.IPv4, state, matrix.Specific, matrix.Wildcard, first, second)
	}
	inuse := matrix.Failed("bind", "EADDRINUSE")
	obs := &matrix.Observation{
		Schema:   matrix.Schema,
		Platform: matrix.Platform{Name: "linux", GOOS: "linux", GOARCH: "amd64", Kernel: "6.1.0-test", Go: "go1.26"},
		Cells: []matrix.Result{
			{Cell: cell(matrix.Listening, matrix.None, matrix.None), Outcome: inuse, Native: 98, Witness: "SO_ACCEPTCONN=1"},
			{Cell: cell(matrix.Listening, matrix.ReuseAddr, matrix.ReuseAddr), Outcome: matrix.OK, Witness: "SO_ACCEPTCONN=1"},
			{Cell: cell(matrix.Listening, matrix.ReusePort, matrix.ReusePort), Outcome: matrix.OK, Delivery: matrix.DeliveredFirst,
				Witness: "SO_ACCEPTCONN=1", Note: "delivery to 127.0.0.1:4000: 32 of 32 sent reached the first socket, 0 the second"},
			{Cell: cell(matrix.TimeWait, matrix.None, matrix.None), Outcome: matrix.Unreached, Note: "no TIME_WAIT entry | after 2s"},
			{Cell: cell(matrix.TimeWait, matrix.ReuseAddr, matrix.ReuseAddr), Outcome: matrix.OK, Witness: "sock_diag TIME_WAIT"},
			{Cell: cell(matrix.Closed, matrix.None, matrix.None), Outcome: matrix.OK, Witness: "closed"},
		},
	}
	table := matrix.NewTable("matrix/expected/linux.txt", "linux")
	table.Provenance = []matrix.Provenance{{Kind: "observed", Text: "linux 6.1.0-test 2026-11-23"}}
	table.Entries[cell(matrix.Listening, matrix.None, matrix.None)] = matrix.Entry{Outcome: inuse, Line: 20}
	table.Entries[cell(matrix.Listening, matrix.ReuseAddr, matrix.ReuseAddr)] = matrix.Entry{Outcome: inuse, Line: 25}
	table.Entries[cell(matrix.Listening, matrix.ReusePort, matrix.ReusePort)] = matrix.Entry{Outcome: matrix.OK, Delivery: matrix.DeliveredBoth, Line: 35}
	table.Entries[cell(matrix.TimeWait, matrix.None, matrix.None)] = matrix.Entry{Outcome: inuse, Line: 40}
	table.Entries[cell(matrix.TimeWait, matrix.ReuseAddr, matrix.ReuseAddr)] = matrix.Entry{Outcome: matrix.Unknown, Line: 45}
	return obs, table
}

func TestRenderingsMatchGoldenFiles(t *testing.T) {
	obs, table := fixture()
	for _, format := range Formats {
		r, err := New(format)
		if err != nil {
			t.Fatal(err)
		}
		for _, kind := range []string{"observation", "comparison"} {
			t.Run(format+"/"+kind, func(t *testing.T) {
				var b bytes.Buffer
				if kind == "observation" {
					err = r.Observation(&b, obs)
				} else {
					err = r.Comparison(&b, matrix.Compare(table, obs))
				}
				if err != nil {
					t.Fatal(err)
				}
				golden(t, filepath.Join("testdata", kind+"."+format+".golden"), b.String())
			})
		}
	}
}

func golden(t *testing.T, file, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (create it with: go test ./report -update)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-golden +now); if the change is intended, run go test ./report -update:\n%s", file, diff)
	}
}

func TestNewRejectsUnknownFormat(t *testing.T) {
	_, err := New("html")
	if err == nil || !strings.Contains(err.Error(), "text, json, markdown, junit") {
		t.Errorf("New(html) = %v, want an error listing the formats", err)
	}
}

func TestComparisonTextShowsEachDifference(t *testing.T) {
	obs, table := fixture()
	var b bytes.Buffer
	if err := (text{}).Comparison(&b, matrix.Compare(table, obs)); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"DIFF tcp/ipv4/listening/specific-wildcard/SO_REUSEADDR-SO_REUSEADDR: expected bind:EADDRINUSE (matrix/expected/linux.txt:25), observed ok",
		"bind:EADDRINUSE → ok",
		"ok [both] → ok [first]",
		"VERDICT: DIFFER (2 cells differ",
		"2 cells without an expectation",
		"  tcp/ipv4/closed/specific-wildcard/none-none: ok",
		"1 cell unreached",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("comparison text lacks %q:\n%s", want, out)
		}
	}
}
