// Package matrix holds the data of bindmatrix: the axes of the bind matrix,
// the cells that are their cross product, the observation document a run
// produces, the expected table checked in per platform, and the comparison of
// the two. It makes no syscalls; package scenarios does.
package matrix

import (
	"fmt"
	"strings"
)

// Proto is the transport protocol both sockets use.
type Proto uint8

const (
	TCP Proto = iota
)

var protoNames = []string{"tcp"}

func (p Proto) String() string               { return nameOf(protoNames, p) }
func (p Proto) MarshalText() ([]byte, error) { return []byte(p.String()), nil }
func (p *Proto) UnmarshalText(b []byte) (err error) {
	*p, err = ParseProto(string(b))
	return err
}

// ParseProto parses a protocol name as written in tables and JSON.
func ParseProto(s string) (Proto, error) { return parseName[Proto]("proto", protoNames, s) }

// Family is the address family of both sockets. IPv6 sockets set
// IPV6_V6ONLY=1 so that the IPv6 rows say nothing about IPv4.
type Family uint8

const (
	IPv4 Family = iota
	IPv6
)

var familyNames = []string{"ipv4", "ipv6"}

func (f Family) String() string               { return nameOf(familyNames, f) }
func (f Family) MarshalText() ([]byte, error) { return []byte(f.String()), nil }
func (f *Family) UnmarshalText(b []byte) (err error) {
	*f, err = ParseFamily(string(b))
	return err
}

// ParseFamily parses a family name.
func ParseFamily(s string) (Family, error) { return parseName[Family]("family", familyNames, s) }

// Addr says whether a socket binds the loopback address of its family
// (specific) or the unspecified one (wildcard).
type Addr uint8

const (
	Specific Addr = iota
	Wildcard
)

var addrNames = []string{"specific", "wildcard"}

func (a Addr) String() string               { return nameOf(addrNames, a) }
func (a Addr) MarshalText() ([]byte, error) { return []byte(a.String()), nil }
func (a *Addr) UnmarshalText(b []byte) (err error) {
	*a, err = ParseAddr(string(b))
	return err
}

// ParseAddr parses an address kind.
func ParseAddr(s string) (Addr, error) { return parseName[Addr]("address", addrNames, s) }

// State is what the first socket is doing when the second one binds.
type State uint8

const (
	Bound       State = iota // bind only
	Listening                // bind and listen
	TimeWait                 // only a TIME_WAIT entry holds the port
	Established              // only an accepted, established connection holds the port
	Closed                   // bound, then closed: nothing holds the port
)

var stateNames = []string{"bound", "listening", "time_wait", "established", "closed"}

func (s State) String() string               { return nameOf(stateNames, s) }
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
func (s *State) UnmarshalText(b []byte) (err error) {
	*s, err = ParseState(string(b))
	return err
}

// ParseState parses a state name.
func ParseState(s string) (State, error) { return parseName[State]("state", stateNames, s) }

// Option is the one address-sharing option a socket sets before bind.
type Option uint8

const (
	None Option = iota
	ReuseAddr
	ExclusiveAddrUse // Windows only
	ReusePort        // Linux, BSD, macOS
)

var optionNames = []string{"none", "SO_REUSEADDR", "SO_EXCLUSIVEADDRUSE", "SO_REUSEPORT"}

func (o Option) String() string               { return nameOf(optionNames, o) }
func (o Option) MarshalText() ([]byte, error) { return []byte(o.String()), nil }
func (o *Option) UnmarshalText(b []byte) (err error) {
	*o, err = ParseOption(string(b))
	return err
}

// ParseOption parses an option name; the names are the C macro names, so
// "SO_REUSEADDR", not "reuseaddr".
func ParseOption(s string) (Option, error) { return parseName[Option]("option", optionNames, s) }

// Protos, Families, Addrs, States and Options list every value of each axis
// in canonical order.
func Protos() []Proto    { return values[Proto](protoNames) }
func Families() []Family { return values[Family](familyNames) }
func Addrs() []Addr      { return values[Addr](addrNames) }
func States() []State    { return values[State](stateNames) }
func Options() []Option  { return values[Option](optionNames) }

type axisValue interface{ ~uint8 }

func nameOf[T axisValue](names []string, v T) string {
	if int(v) < len(names) {
		return names[v]
	}
	return fmt.Sprintf("invalid(%d)", uint8(v))
}

func parseName[T axisValue](axis string, names []string, s string) (T, error) {
	for i, n := range names {
		if n == s {
			return T(i), nil
		}
	}
	return 0, fmt.Errorf("unknown %s %q (valid: %s)", axis, s, strings.Join(names, ", "))
}

func values[T axisValue](names []string) []T {
	vs := make([]T, len(names))
	for i := range names {
		vs[i] = T(i)
	}
	return vs
}
