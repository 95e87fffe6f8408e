package matrix

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// An Arrangement is several sockets on one port, made in order, each in
// its state before the next is made; the last socket is the probe, whose
// bind (and, for a listening probe, listen) is the question. It is what the
// matrix's cells cannot state: more than two sockets, v6-only sockets
// beside IPv4 ones, v4-mapped wildcards, crowds on consecutive loopback
// addresses.
//
// The notation, one clause per socket separated by ';':
//
//	tcp ::ffff:0.0.0.0 dualstack listening; tcp ::ffff:127.0.0.1 dualstack other-user
//	udp 127.0.0.1..127.0.0.11; udp 0.0.0.0
//
// A clause's words come in any order: the protocol (tcp, udp) and the
// address are required; for an IPv6 address v6only or dualstack
// (IPV6_V6ONLY=1 or 0; dualstack, Linux's default, when neither is given);
// options (SO_REUSEADDR, SO_REUSEPORT, SO_REUSEPORT_LB, SO_EXCLUSIVEADDRUSE,
// several allowed); a state (bound when none is given; listening,
// time_wait and established for TCP; closed); an owner (this process when
// none is given; other for another process of the same user, other-user
// for a process of another user). An IPv4 range A..B repeats the clause
// over each address from A to B inclusive. Addresses are loopback or
// unspecified only: an arrangement never needs an address added to an
// interface. docs/arrangements.md has the grammar.
type Arrangement struct {
	Clauses []Clause
}

// A Clause is one clause of the notation: one socket, or a range of them.
type Clause struct {
	Proto   Proto
	Addr    netip.Addr
	Last    netip.Addr   // the end of an IPv4 range A..B, else invalid
	Family  SocketFamily // SockIPv4 for an IPv4 address
	Options []Option     // in axis order, None never among them
	State   State
	Owner   Process
}

// A Socket is one socket of an arrangement, ranges expanded.
type Socket struct {
	Clause  int // the clause it comes from, from 1
	Proto   Proto
	Addr    netip.Addr
	Family  SocketFamily
	Options []Option
	State   State
	Owner   Process
}

// MaxSockets bounds an arrangement: a crowd large enough for any hash slot
// threshold the kernels have (10 for UDP's hash2), small enough that a
// typo cannot open thousands of sockets.
const MaxSockets = 1024

// ArrangementError is a bad arrangement: it names the clause and the word.
type ArrangementError struct {
	Clause int    // from 1; 0 when the arrangement as a whole is wrong
	Word   string // the word at fault, if one is
	Msg    string
}

func (e *ArrangementError) Error() string {
	var b strings.Builder
	b.WriteString("arrangement")
	if e.Clause > 0 {
		fmt.Fprintf(&b, ": clause %d", e.Clause)
	}
	if e.Word != "" {
		fmt.Fprintf(&b, ": %+q", e.Word) // escaped: the word may hold control characters
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// ParseArrangement reads the notation.
func ParseArrangement(text string) (Arrangement, error) {
	var a Arrangement
	parts := strings.Split(text, ";")
	if strings.TrimSpace(parts[len(parts)-1]) == "" && len(parts) > 1 {
		parts = parts[:len(parts)-1] // a trailing ';' ends the last clause
	}
	sockets := 0
	for i, part := range parts {
		c, err := parseClause(i+1, part)
		if err != nil {
			return Arrangement{}, err
		}
		if i > 0 && c.Proto != a.Clauses[0].Proto {
			return Arrangement{}, &ArrangementError{Clause: i + 1, Word: c.Proto.String(),
				Msg: "one protocol per arrangement: a TCP port and a UDP port of one number never meet"}
		}
		sockets += c.Count()
		if sockets > MaxSockets {
			return Arrangement{}, &ArrangementError{Clause: i + 1, Msg: fmt.Sprintf("more than %d sockets", MaxSockets)}
		}
		a.Clauses = append(a.Clauses, c)
	}
	if probe := a.Clauses[len(a.Clauses)-1]; probe.Last.IsValid() {
		return Arrangement{}, &ArrangementError{Clause: len(a.Clauses), Word: probe.Addr.String() + ".." + probe.Last.String(),
			Msg: "the probe (the last clause) is one socket: a range belongs to the sockets before it"}
	}
	return a, nil
}

func parseClause(n int, text string) (Clause, error) {
	c := Clause{Family: SockIPv4}
	words := strings.Fields(text)
	if len(words) == 0 {
		return c, &ArrangementError{Clause: n, Msg: "empty clause: give at least a protocol and an address"}
	}
	bad := func(word, format string, args ...any) (Clause, error) {
		return Clause{}, &ArrangementError{Clause: n, Word: word, Msg: fmt.Sprintf(format, args...)}
	}
	var haveProto, haveAddr, haveState, haveOwner bool
	var familyWord string
	for _, w := range words {
		if p, err := ParseProto(w); err == nil {
			if haveProto {
				return bad(w, "a second protocol")
			}
			c.Proto, haveProto = p, true
			continue
		}
		if o, err := ParseOption(w); err == nil {
			if o == None {
				return bad(w, "no option is the default: leave the word out")
			}
			if slices.Contains(c.Options, o) {
				return bad(w, "option given twice")
			}
			c.Options = append(c.Options, o)
			continue
		}
		if s, err := ParseState(w); err == nil {
			if haveState {
				return bad(w, "a second state")
			}
			c.State, haveState = s, true
			continue
		}
		if o, err := ParseProcess(w); err == nil {
			if haveOwner {
				return bad(w, "a second owner")
			}
			c.Owner, haveOwner = o, true
			continue
		}
		if w == "v6only" || w == "dualstack" {
			if familyWord != "" {
				return bad(w, "v6only and dualstack are said once")
			}
			familyWord = w
			continue
		}
		if looksLikeAddress(w) {
			if haveAddr {
				return bad(w, "a second address (a crowd on consecutive addresses is a range A..B)")
			}
			first, last, err := parseAddress(w)
			if err != nil {
				return bad(w, "%v", err)
			}
			c.Addr, c.Last, haveAddr = first, last, true
			continue
		}
		return bad(w, "unknown word (valid: tcp, udp, an address or A..B, v6only, dualstack, %s, %s, same, other, other-user)",
			strings.Join(optionNames[1:], ", "), strings.Join(stateNames, ", "))
	}
	if !haveProto {
		return bad("", "no protocol: begin with tcp or udp")
	}
	if !haveAddr {
		return bad("", "no address: give 127.0.0.1, 0.0.0.0, ::1, ::, ::ffff:127.0.0.1, ::ffff:0.0.0.0 or an IPv4 range A..B")
	}
	switch {
	case c.Addr.Is4() && familyWord != "":
		return bad(familyWord, "v6only and dualstack are for IPv6 addresses")
	case c.Addr.Is6() && familyWord == "v6only":
		// A v4-mapped address on a v6-only socket is allowed: its bind
		// fails with EINVAL, which is an observation, not a parse error.
		c.Family = SockIPv6
	case c.Addr.Is6():
		c.Family = SockDualStack
	}
	if c.Proto == UDP && c.State != Bound && c.State != Closed {
		return bad(c.State.String(), "a UDP socket is bound or closed")
	}
	slices.Sort(c.Options)
	return c, nil
}

// looksLikeAddress tells an address apart from a misspelt word, so that
// "127.0.0.300" is a bad address and "listen" an unknown word.
func looksLikeAddress(w string) bool {
	return strings.ContainsAny(w, ".:") && strings.Trim(w, "0123456789abcdefABCDEF.:[]") == ""
}

// parseAddress reads an address, [v6] in brackets allowed, or an IPv4 range.
func parseAddress(w string) (first, last netip.Addr, err error) {
	if a, b, ok := strings.Cut(w, ".."); ok {
		first, err = netip.ParseAddr(a)
		if err == nil {
			last, err = netip.ParseAddr(b)
		}
		switch {
		case err != nil:
			return first, last, err
		case !first.Is4() || !last.Is4():
			return first, last, fmt.Errorf("a range is of IPv4 addresses")
		case !first.IsLoopback() || !last.IsLoopback():
			return first, last, fmt.Errorf("a range is of loopback addresses (127.0.0.0/8): no address is added to an interface")
		case last.Less(first):
			return first, last, fmt.Errorf("a range goes up: %s is below %s", last, first)
		}
		return first, last, nil
	}
	first, err = netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(w, "["), "]"))
	if err != nil {
		return first, last, err
	}
	if first.Zone() != "" {
		return first, last, fmt.Errorf("no zones: arrangements use loopback and unspecified addresses")
	}
	if !first.IsLoopback() && !first.IsUnspecified() && !(first.Is4In6() && (first.Unmap().IsLoopback() || first.Unmap().IsUnspecified())) {
		return first, last, fmt.Errorf("only loopback and unspecified addresses (and their v4-mapped forms): the harness talks to this machine alone")
	}
	return first, last, nil
}

// Count is how many sockets the clause stands for.
func (c Clause) Count() int {
	if !c.Last.IsValid() {
		return 1
	}
	a, b := c.Addr.As4(), c.Last.As4()
	return int(be32(b)-be32(a)) + 1
}

func be32(b [4]byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// Sockets expands the ranges: every socket in the order it is made.
func (a Arrangement) Sockets() []Socket {
	var out []Socket
	for i, c := range a.Clauses {
		addr := c.Addr
		for range c.Count() {
			out = append(out, Socket{Clause: i + 1, Proto: c.Proto, Addr: addr, Family: c.Family,
				Options: c.Options, State: c.State, Owner: c.Owner})
			addr = addr.Next()
		}
	}
	return out
}

// String is the arrangement in canonical notation: what ParseArrangement
// reads back to the same arrangement.
func (a Arrangement) String() string {
	clauses := make([]string, len(a.Clauses))
	for i, c := range a.Clauses {
		clauses[i] = c.String()
	}
	return strings.Join(clauses, "; ")
}

// String is the clause in canonical notation: protocol, address, family
// for IPv6, options in axis order, then the state and owner where they are
// not the defaults.
func (c Clause) String() string {
	words := []string{c.Proto.String(), c.Addr.String()}
	if c.Last.IsValid() {
		words[1] += ".." + c.Last.String()
	}
	switch c.Family {
	case SockIPv6:
		words = append(words, "v6only")
	case SockDualStack:
		words = append(words, "dualstack")
	}
	for _, o := range c.Options {
		words = append(words, o.String())
	}
	if c.State != Bound {
		words = append(words, c.State.String())
	}
	if c.Owner != SameProcess {
		words = append(words, c.Owner.String())
	}
	return strings.Join(words, " ")
}

// CellAddr is where a socket of a matrix cell binds: the loopback address
// (specific) or the unspecified one (wildcard) of its family. A dual-stack
// socket's specific address is IPv4's loopback, v4-mapped
// (::ffff:127.0.0.1), so that it names the same endpoint as an IPv4
// socket's; its specific_v6 and wildcard_mapped are ::1 and ::ffff:0.0.0.0.
func CellAddr(fam SocketFamily, kind AddrKind) netip.Addr {
	loopback4 := netip.AddrFrom4([4]byte{127, 0, 0, 1})
	switch {
	case fam == SockIPv4 && kind == Specific:
		return loopback4
	case fam == SockIPv4:
		return netip.IPv4Unspecified()
	case kind == WildcardMapped:
		return netip.AddrFrom16(netip.IPv4Unspecified().As16())
	case kind == SpecificV6:
		return netip.IPv6Loopback()
	case fam == SockDualStack && kind == Specific:
		return netip.AddrFrom16(loopback4.As16())
	case kind == Specific:
		return netip.IPv6Loopback()
	}
	return netip.IPv6Unspecified()
}

// Arrangement is the cell as an arrangement: the first socket in the
// cell's state, then the second, which binds and, for TCP, listens, in the
// cell's process.
func (c Cell) Arrangement() Arrangement {
	clause := func(fam SocketFamily, kind AddrKind, o Option, s State, p Process) Clause {
		cl := Clause{Proto: c.Proto, Addr: CellAddr(fam, kind), Family: fam, State: s, Owner: p}
		if o != None {
			cl.Options = []Option{o}
		}
		return cl
	}
	probe := Bound
	if c.Proto == TCP {
		probe = Listening
	}
	return Arrangement{Clauses: []Clause{
		clause(c.FirstFamily, c.FirstAddr, c.First, c.State, SameProcess),
		clause(c.SecondFamily, c.SecondAddr, c.Second, probe, c.Process),
	}}
}

// String is the socket in notation, as a clause of its own.
func (s Socket) String() string {
	return Clause{Proto: s.Proto, Addr: s.Addr, Family: s.Family, Options: s.Options, State: s.State, Owner: s.Owner}.String()
}
