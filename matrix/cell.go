package matrix

import (
	"fmt"
	"slices"
	"strings"
)

// Cell is one question the harness asks: with the first socket in State and
// each socket having set its option, does the second bind succeed?
type Cell struct {
	Proto      Proto
	Family     Family
	FirstAddr  Addr
	SecondAddr Addr
	State      State
	First      Option
	Second     Option
}

// Name is the cell's stable identifier, usable as a Go subtest name and in
// `go test -run`: tcp/ipv4/time_wait/specific-wildcard/SO_REUSEADDR-none.
func (c Cell) Name() string {
	return fmt.Sprintf("%s/%s/%s/%s-%s/%s-%s",
		c.Proto, c.Family, c.State, c.FirstAddr, c.SecondAddr, c.First, c.Second)
}

func (c Cell) String() string { return c.Name() }

// Compare orders cells canonically: proto, family, state, addresses, then
// options. Tables, reports and JSON all use this order.
func (c Cell) Compare(d Cell) int {
	for _, p := range [...][2]uint8{
		{uint8(c.Proto), uint8(d.Proto)},
		{uint8(c.Family), uint8(d.Family)},
		{uint8(c.State), uint8(d.State)},
		{uint8(c.FirstAddr), uint8(d.FirstAddr)},
		{uint8(c.SecondAddr), uint8(d.SecondAddr)},
		{uint8(c.First), uint8(d.First)},
		{uint8(c.Second), uint8(d.Second)},
	} {
		if p[0] != p[1] {
			return int(p[0]) - int(p[1])
		}
	}
	return 0
}

// AllCells is the full matrix in canonical order.
func AllCells() []Cell {
	var cells []Cell
	for _, proto := range Protos() {
		for _, fam := range Families() {
			for _, st := range States() {
				for _, fa := range Addrs() {
					for _, sa := range Addrs() {
						for _, fo := range Options() {
							for _, so := range Options() {
								cells = append(cells, Cell{proto, fam, fa, sa, st, fo, so})
							}
						}
					}
				}
			}
		}
	}
	return cells
}

// SortCells puts cells in canonical order.
func SortCells(cells []Cell) { slices.SortFunc(cells, Cell.Compare) }

// fields names the cell's fields as they appear in JSON, tables and -only
// filters, with a getter for each, in column order.
type field struct {
	name  string
	value func(Cell) string
	parse func(string) error
}

var fields = []field{
	{"proto", func(c Cell) string { return c.Proto.String() }, func(s string) error { _, err := ParseProto(s); return err }},
	{"family", func(c Cell) string { return c.Family.String() }, func(s string) error { _, err := ParseFamily(s); return err }},
	{"first_addr", func(c Cell) string { return c.FirstAddr.String() }, func(s string) error { _, err := ParseAddr(s); return err }},
	{"second_addr", func(c Cell) string { return c.SecondAddr.String() }, func(s string) error { _, err := ParseAddr(s); return err }},
	{"state", func(c Cell) string { return c.State.String() }, func(s string) error { _, err := ParseState(s); return err }},
	{"first", func(c Cell) string { return c.First.String() }, func(s string) error { _, err := ParseOption(s); return err }},
	{"second", func(c Cell) string { return c.Second.String() }, func(s string) error { _, err := ParseOption(s); return err }},
}

// FieldNames lists the cell fields a Filter can name.
func FieldNames() []string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.name
	}
	return names
}

// Filter selects cells by field values: a cell matches when, for every field
// the filter names, its value is one of the values given for that field.
type Filter map[string][]string

// ParseFilter parses "key=value,key=value". Repeating a key allows any of its
// values: "state=bound,state=listening".
func ParseFilter(s string) (Filter, error) {
	f := Filter{}
	if strings.TrimSpace(s) == "" {
		return f, nil
	}
	for _, term := range strings.Split(s, ",") {
		key, value, ok := strings.Cut(strings.TrimSpace(term), "=")
		if !ok {
			return nil, fmt.Errorf("filter term %q is not key=value (keys: %s)", term, strings.Join(FieldNames(), ", "))
		}
		i := slices.IndexFunc(fields, func(fd field) bool { return fd.name == key })
		if i < 0 {
			return nil, fmt.Errorf("unknown filter key %q (valid: %s)", key, strings.Join(FieldNames(), ", "))
		}
		if err := fields[i].parse(value); err != nil {
			return nil, fmt.Errorf("filter %s: %v", key, err)
		}
		f[key] = append(f[key], value)
	}
	return f, nil
}

// Match reports whether the cell passes the filter.
func (f Filter) Match(c Cell) bool {
	for _, fd := range fields {
		want, named := f[fd.name]
		if named && !slices.Contains(want, fd.value(c)) {
			return false
		}
	}
	return true
}

// Select returns the cells that pass the filter, in their order.
func (f Filter) Select(cells []Cell) []Cell {
	var out []Cell
	for _, c := range cells {
		if f.Match(c) {
			out = append(out, c)
		}
	}
	return out
}
