package matrix

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCompare(t *testing.T) {
	cells := AllCells()
	table := NewTable("t.txt", "linux")
	table.Entries[cells[0]] = Entry{Outcome: Failed("bind", "EADDRINUSE"), Line: 10}
	table.Entries[cells[1]] = Entry{Outcome: OK, Line: 11}
	table.Entries[cells[2]] = Entry{Outcome: Unknown, Line: 12}
	table.Entries[cells[3]] = Entry{Outcome: OK, Line: 13}

	obs := &Observation{Cells: []Result{
		{Cell: cells[1], Outcome: Failed("bind", "EADDRINUSE")}, // differs
		{Cell: cells[0], Outcome: Failed("bind", "EADDRINUSE")}, // agrees
		{Cell: cells[2], Outcome: OK},                           // no expectation
		{Cell: cells[3], Outcome: Unreached},                    // incomplete
		{Cell: cells[4], Outcome: OK},                           // not in the table: no expectation
	}}
	c := Compare(table, obs)
	if c.Compared != 2 || c.Agree != 1 {
		t.Errorf("compared %d, agree %d; want 2, 1", c.Compared, c.Agree)
	}
	var got []Cell
	for _, d := range c.Differences {
		got = append(got, d.Cell)
	}
	if diff := cmp.Diff([]Cell{cells[1]}, got); diff != "" {
		t.Errorf("differences (-want +got):\n%s", diff)
	}
	if c.Differences[0].Expected.Line != 11 {
		t.Errorf("difference points at line %d, want 11", c.Differences[0].Expected.Line)
	}
	if len(c.Unreached) != 1 || len(c.Unknown) != 2 {
		t.Errorf("unreached %d, unknown %d; want 1, 2", len(c.Unreached), len(c.Unknown))
	}
	if c.Verdict() != Differ {
		t.Errorf("verdict %v, want Differ", c.Verdict())
	}

	c = Compare(table, &Observation{Cells: []Result{{Cell: cells[0], Outcome: Failed("bind", "EADDRINUSE")}, {Cell: cells[3], Outcome: Unreached}}})
	if c.Verdict() != Incomplete {
		t.Errorf("verdict with only an unreached cell: %v, want Incomplete", c.Verdict())
	}
	c = Compare(table, &Observation{Cells: []Result{{Cell: cells[0], Outcome: Failed("bind", "EADDRINUSE")}}})
	if c.Verdict() != Agree || c.Agree != 1 {
		t.Errorf("verdict %v with %d agreeing, want Agree with 1", c.Verdict(), c.Agree)
	}
}

func TestCompareDelivery(t *testing.T) {
	cell := AllCells()[0]
	for _, tc := range []struct {
		want, got Delivery
		differ    bool
	}{
		{DeliveredBoth, DeliveredBoth, false},
		{DeliveredBoth, DeliveredSecond, true},
		{"", DeliveredSecond, false}, // the table does not say
		{DeliveredFirst, "", true},
	} {
		table := NewTable("t.txt", "linux")
		table.Entries[cell] = Entry{Outcome: OK, Delivery: tc.want}
		c := Compare(table, &Observation{Cells: []Result{{Cell: cell, Outcome: OK, Delivery: tc.got}}})
		if differ := len(c.Differences) == 1; differ != tc.differ {
			t.Errorf("expected delivery %q, observed %q: differ=%v, want %v", tc.want, tc.got, differ, tc.differ)
		}
	}
}
