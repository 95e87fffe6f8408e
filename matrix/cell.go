package matrix

import (
	"fmt"
	"slices"
	"strings"
)

// Cell is one question the harness asks: with the first socket in State and
// each socket having set its option, does the second bind succeed?
type Cell struct {
	Proto        Proto
	Process      Process
	Family       Family
	FirstFamily  SocketFamily // for ipv4 and ipv6 cells, the family itself
	SecondFamily SocketFamily
	FirstAddr    AddrKind
	SecondAddr   AddrKind
	State        State
	First        Option
	Second       Option
}

// socketFamilyOf is how both sockets of a same-family cell are opened.
func socketFamilyOf(f Family) SocketFamily {
	if f == IPv6 {
		return SockIPv6
	}
	return SockIPv4
}

// NewCell makes a same-family cell (ipv4 or ipv6), filling in its socket
// families; dual cells set FirstFamily and SecondFamily themselves.
func NewCell(proto Proto, fam Family, state State, firstAddr, secondAddr AddrKind, first, second Option) Cell {
	return Cell{Proto: proto, Family: fam, FirstFamily: socketFamilyOf(fam), SecondFamily: socketFamilyOf(fam),
		FirstAddr: firstAddr, SecondAddr: secondAddr, State: state, First: first, Second: second}
}

// StatesOf lists the states that apply to a protocol: a UDP socket is only
// ever bound or closed.
func StatesOf(p Proto) []State {
	if p == UDP {
		return []State{Bound, Closed}
	}
	return States()
}

// Valid reports why a combination of values is not a cell of the matrix.
func (c Cell) Valid() error {
	if !slices.Contains(StatesOf(c.Proto), c.State) {
		return fmt.Errorf("state %s does not apply to %s", c.State, c.Proto)
	}
	for _, s := range [...]struct {
		fam  SocketFamily
		kind AddrKind
	}{{c.FirstFamily, c.FirstAddr}, {c.SecondFamily, c.SecondAddr}} {
		if !slices.Contains(AddrKindsOf(s.fam), s.kind) {
			return fmt.Errorf("address kind %s belongs to dual-stack sockets only, not %s", s.kind, s.fam)
		}
	}
	if !c.Family.Mixed() {
		if c.FirstFamily != socketFamilyOf(c.Family) || c.SecondFamily != socketFamilyOf(c.Family) {
			return fmt.Errorf("first_family and second_family belong to dual and cross cells only")
		}
		return nil
	}
	if want := familyOfPair(c.FirstFamily, c.SecondFamily, c.FirstAddr, c.SecondAddr); c.Family != want {
		return fmt.Errorf("%s cell with families %s, %s and addresses %s, %s: that is a %s cell (dual pairs: %s, on specific and wildcard addresses)",
			c.Family, c.FirstFamily, c.SecondFamily, c.FirstAddr, c.SecondAddr, want, dualPairNames())
	}
	return nil
}

// familyOfPair is the family of the cell that pairs these two sockets:
// ipv4 and ipv6 for two sockets of that family, dual for the pairs of
// DualPairs on specific and wildcard addresses, cross for the rest.
func familyOfPair(first, second SocketFamily, firstAddr, secondAddr AddrKind) Family {
	classicAddrs := firstAddr <= Wildcard && secondAddr <= Wildcard
	switch {
	case first == second && first == SockIPv4:
		return IPv4
	case first == second && first == SockIPv6:
		return IPv6
	case classicAddrs && slices.Contains(DualPairs, [2]SocketFamily{first, second}):
		return Dual
	}
	return Cross
}

func dualPairNames() string {
	var names []string
	for _, p := range DualPairs {
		names = append(names, p[0].String()+"+"+p[1].String())
	}
	return strings.Join(names, ", ")
}

// Name is the cell's stable identifier, usable as a Go subtest name and in
// `go test -run`: tcp/ipv4/time_wait/specific-wildcard/SO_REUSEADDR-none,
// with the socket families of a dual or cross cell
// (tcp/dual:ipv4:ipv6-dualstack/...)
// and a /other or /other-user suffix when another process binds second.
func (c Cell) Name() string {
	fam := c.Family.String()
	if c.Family.Mixed() {
		fam = fmt.Sprintf("%s:%s:%s", c.Family, c.FirstFamily, c.SecondFamily)
	}
	name := fmt.Sprintf("%s/%s/%s/%s-%s/%s-%s", c.Proto, fam, c.State, c.FirstAddr, c.SecondAddr, c.First, c.Second)
	if c.Process != SameProcess {
		name += "/" + c.Process.String()
	}
	return name
}

func (c Cell) String() string { return c.Name() }

// Compare orders cells canonically: proto, process, family, state,
// addresses, then options. Tables, reports and JSON all use this order.
func (c Cell) Compare(d Cell) int {
	for _, p := range [...][2]uint8{
		{uint8(c.Proto), uint8(d.Proto)},
		{uint8(c.Process), uint8(d.Process)},
		{uint8(c.Family), uint8(d.Family)},
		{uint8(c.FirstFamily), uint8(d.FirstFamily)},
		{uint8(c.SecondFamily), uint8(d.SecondFamily)},
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

// Universe is every cell the harness knows on a platform that has only the
// common options, in canonical order.
func Universe() []Cell { return UniverseOn("") }

// UniverseOn is every cell the harness knows on platform, in canonical order.
func UniverseOn(platform string) []Cell {
	options := OptionsOn(platform)
	families := SocketFamilies()
	var cells []Cell
	for _, proto := range Protos() {
		for _, proc := range Processes() {
			for _, fam := range Families() {
				for _, first := range families {
					for _, second := range families {
						for _, st := range StatesOf(proto) {
							for _, fa := range AddrKindsOf(first) {
								for _, sa := range AddrKindsOf(second) {
									if familyOfPair(first, second, fa, sa) != fam {
										continue
									}
									for _, fo := range options {
										for _, so := range options {
											cells = append(cells, Cell{Proto: proto, Process: proc, Family: fam,
												FirstFamily: first, SecondFamily: second, FirstAddr: fa, SecondAddr: sa,
												State: st, First: fo, Second: so})
										}
									}
								}
							}
						}
					}
				}
			}
		}
	}
	return cells
}

// OtherUserOffered says whether a platform can run a helper as another
// user (PlatformFacts.OtherUser).
func OtherUserOffered(platform string) bool { return FactsOf(platform).OtherUser }

// DeliveryApplies says whether a cell ends with two receiving sockets when
// the second one's bind succeeds: two listeners, or two bound UDP sockets.
func DeliveryApplies(c Cell) bool {
	return c.Proto == TCP && c.State == Listening || c.Proto == UDP && c.State == Bound
}

// AllCells is the default matrix of a platform with only the common
// options: what a run covers and what an expected table must hold.
func AllCells() []Cell { return AllCellsOn("") }

// AllCellsOn is the default matrix on platform: every cell, for this
// process, another process and (where the platform offers it) another
// user. Cells with an option of the platform's own are limited to
// same-process, same-family ones; cross cells are in it where the
// platform's row says so (PlatformFacts.Cross).
func AllCellsOn(platform string) []Cell { return cellsOn(platform, false, false) }

// cellsOn is the universe on platform without the cells a default run
// leaves out, except that every process's cells stay when allProcesses
// is set and cross cells stay when cross is.
func cellsOn(platform string, allProcesses, cross bool) []Cell {
	cross = cross || FactsOf(platform).Cross
	return slices.DeleteFunc(UniverseOn(platform), func(c Cell) bool {
		own := !slices.Contains(OptionsOn(""), c.First) || !slices.Contains(OptionsOn(""), c.Second)
		return !allProcesses && (c.Process == OtherUser && !OtherUserOffered(platform) ||
			own && (c.Process != SameProcess || c.Family.Mixed())) ||
			c.Family == Cross && !cross
	})
}

// SortCells puts cells in canonical order.
func SortCells(cells []Cell) { slices.SortFunc(cells, Cell.Compare) }

// field is one column of cells and results as JSON, tables and -only
// filters name it.
type field struct {
	name   string
	value  func(Result) string
	parse  func(string) error
	result bool // a property of the outcome, not of the cell
}

func parses[T any](parse func(string) (T, error)) func(string) error {
	return func(s string) error { _, err := parse(s); return err }
}

var fields = []field{
	{name: "proto", value: func(r Result) string { return r.Proto.String() }, parse: parses(ParseProto)},
	{name: "process", value: func(r Result) string { return r.Process.String() }, parse: parses(ParseProcess)},
	{name: "family", value: func(r Result) string { return r.Family.String() }, parse: parses(ParseFamily)},
	{name: "first_family", value: func(r Result) string { return r.FirstFamily.String() }, parse: parses(ParseSocketFamily)},
	{name: "second_family", value: func(r Result) string { return r.SecondFamily.String() }, parse: parses(ParseSocketFamily)},
	{name: "first_addr", value: func(r Result) string { return r.FirstAddr.String() }, parse: parses(ParseAddrKind)},
	{name: "second_addr", value: func(r Result) string { return r.SecondAddr.String() }, parse: parses(ParseAddrKind)},
	{name: "state", value: func(r Result) string { return r.State.String() }, parse: parses(ParseState)},
	{name: "first", value: func(r Result) string { return r.First.String() }, parse: parses(ParseOption)},
	{name: "second", value: func(r Result) string { return r.Second.String() }, parse: parses(ParseOption)},
	{name: "delivery", value: func(r Result) string { return string(r.Delivery) }, parse: parses(ParseDelivery), result: true},
}

// FieldNames lists the fields a Filter can name.
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

func (f Filter) String() string {
	var terms []string
	for _, fd := range fields {
		for _, v := range f[fd.name] {
			terms = append(terms, fd.name+"="+v)
		}
	}
	return strings.Join(terms, ",")
}

// Match reports whether the cell passes the filter's cell fields.
func (f Filter) Match(c Cell) bool { return f.match(Result{Cell: c}, false) }

// MatchResult reports whether a result passes every field of the filter,
// delivery included.
func (f Filter) MatchResult(r Result) bool { return f.match(r, true) }

func (f Filter) match(r Result, results bool) bool {
	for _, fd := range fields {
		want, named := f[fd.name]
		if named && (results || !fd.result) && !slices.Contains(want, fd.value(r)) {
			return false
		}
	}
	return true
}

// Cells selects what to run on a platform with only the common options.
func (f Filter) Cells() []Cell { return f.CellsOn("") }

// CellsOn selects what to run on platform: from its default matrix, or
// from every process's cells when the filter names a process (so "-only
// process=other" runs another process's whole matrix, not just the
// default subset), with the cross cells when it names family=cross.
func (f Filter) CellsOn(platform string) []Cell {
	_, processes := f["process"]
	return f.Select(cellsOn(platform, processes, slices.Contains(f["family"], Cross.String())))
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

// FieldValue is the value of field name (one of FieldNames) for cell c, as
// filters and tables spell it; "" for an unknown name.
func FieldValue(c Cell, name string) string {
	for _, fd := range fields {
		if fd.name == name {
			return fd.value(Result{Cell: c})
		}
	}
	return ""
}
