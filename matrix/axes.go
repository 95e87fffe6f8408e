// Package matrix holds the data of bindmatrix: the axes of the bind matrix,
// the cells that are their cross product, the observation document a run
// produces, the expected table checked in per platform, and the comparison of
// the two. It makes no syscalls; package internal/runner does.
package matrix

import (
	"fmt"
	"strings"
)

// Proto is the transport protocol both sockets use.
type Proto uint8

const (
	TCP Proto = iota
	UDP
)

var protoNames = []string{"tcp", "udp"}

func (p Proto) String() string               { return nameOf(protoNames, p) }
func (p Proto) MarshalText() ([]byte, error) { return []byte(p.String()), nil }
func (p *Proto) UnmarshalText(b []byte) (err error) {
	*p, err = ParseProto(string(b))
	return err
}

// ParseProto parses a protocol name as written in tables and JSON.
func ParseProto(s string) (Proto, error) { return parseName[Proto]("proto", protoNames, s) }

// Family is the address family of both sockets. IPv6 sockets set
// IPV6_V6ONLY=1 so that the IPv6 rows say nothing about IPv4. Dual cells mix
// an IPv4 socket with a dual-stack IPv6 one (IPV6_V6ONLY=0), or pair two
// dual-stack ones, on the loopback or unspecified address: the cell's
// FirstFamily and SecondFamily say which. Cross cells are the rest of the
// address space: an IPv6-only socket against an IPv4 or dual-stack one, and
// the dual-stack socket's other addresses (::1, ::ffff:0.0.0.0) against
// anything.
type Family uint8

const (
	IPv4 Family = iota
	IPv6
	Dual
	Cross
)

var familyNames = []string{"ipv4", "ipv6", "dual", "cross"}

// Mixed says whether the cell's two sockets may be of different socket
// families, which its FirstFamily and SecondFamily then name.
func (f Family) Mixed() bool { return f == Dual || f == Cross }

func (f Family) String() string               { return nameOf(familyNames, f) }
func (f Family) MarshalText() ([]byte, error) { return []byte(f.String()), nil }
func (f *Family) UnmarshalText(b []byte) (err error) {
	*f, err = ParseFamily(string(b))
	return err
}

// ParseFamily parses a family name.
func ParseFamily(s string) (Family, error) { return parseName[Family]("family", familyNames, s) }

// SocketFamily is how one socket of a cell is opened.
type SocketFamily uint8

const (
	SockIPv4      SocketFamily = iota
	SockIPv6                   // IPV6_V6ONLY=1
	SockDualStack              // an IPv6 socket with IPV6_V6ONLY=0
)

var socketFamilyNames = []string{"ipv4", "ipv6", "ipv6-dualstack"}

func (f SocketFamily) String() string               { return nameOf(socketFamilyNames, f) }
func (f SocketFamily) MarshalText() ([]byte, error) { return []byte(f.String()), nil }
func (f *SocketFamily) UnmarshalText(b []byte) (err error) {
	*f, err = ParseSocketFamily(string(b))
	return err
}

// ParseSocketFamily parses a socket family name.
func ParseSocketFamily(s string) (SocketFamily, error) {
	return parseName[SocketFamily]("socket family", socketFamilyNames, s)
}

// DualPairs are the first/second socket families of the dual cells: IPv4
// against a dual-stack socket, both ways, and two dual-stack sockets.
var DualPairs = [][2]SocketFamily{{SockIPv4, SockDualStack}, {SockDualStack, SockIPv4}, {SockDualStack, SockDualStack}}

// Process says who opens the second socket: this process, a child process
// (how a takeover happens in real life), or a child running as another user.
type Process uint8

const (
	SameProcess Process = iota
	OtherProcess
	OtherUser
)

var processNames = []string{"same", "other", "other-user"}

func (p Process) String() string               { return nameOf(processNames, p) }
func (p Process) MarshalText() ([]byte, error) { return []byte(p.String()), nil }
func (p *Process) UnmarshalText(b []byte) (err error) {
	*p, err = ParseProcess(string(b))
	return err
}

// ParseProcess parses a process name.
func ParseProcess(s string) (Process, error) { return parseName[Process]("process", processNames, s) }

// Delivery says which socket received the traffic sent to the port once
// both could: a takeover shows as second, load sharing as both. Empty when
// the cell does not end with two receiving sockets.
type Delivery string

const (
	DeliveredFirst  Delivery = "first"
	DeliveredSecond Delivery = "second"
	DeliveredBoth   Delivery = "both"
	DeliveredNone   Delivery = "none"
)

var deliveryNames = []string{"first", "second", "both", "none"}

// ParseDelivery parses a delivery verdict.
func ParseDelivery(s string) (Delivery, error) {
	i, err := parseName[uint8]("delivery", deliveryNames, s)
	if err != nil {
		return "", err
	}
	return Delivery(deliveryNames[i]), nil
}

func (d *Delivery) UnmarshalText(b []byte) (err error) {
	*d, err = ParseDelivery(string(b))
	return err
}

// AddrKind says whether a socket binds the loopback address of its family
// (specific) or the unspecified one (wildcard). A dual-stack socket's
// specific address is IPv4's loopback, v4-mapped (::ffff:127.0.0.1); it
// has two more: IPv6's loopback (specific_v6, ::1) and IPv4's unspecified
// address, v4-mapped (wildcard_mapped, ::ffff:0.0.0.0).
type AddrKind uint8

const (
	Specific AddrKind = iota
	Wildcard
	SpecificV6
	WildcardMapped
)

var addrKindNames = []string{"specific", "wildcard", "specific_v6", "wildcard_mapped"}

// AddrKindsOf lists the address kinds a socket of family fam binds in the
// matrix: the v4-mapped and IPv6 ones beside each other only on a
// dual-stack socket (an IPv6-only socket refuses a v4-mapped address with
// EINVAL, which arrangements can ask).
func AddrKindsOf(fam SocketFamily) []AddrKind {
	if fam == SockDualStack {
		return AddrKinds()
	}
	return []AddrKind{Specific, Wildcard}
}

func (a AddrKind) String() string               { return nameOf(addrKindNames, a) }
func (a AddrKind) MarshalText() ([]byte, error) { return []byte(a.String()), nil }
func (a *AddrKind) UnmarshalText(b []byte) (err error) {
	*a, err = ParseAddrKind(string(b))
	return err
}

// ParseAddrKind parses an address kind.
func ParseAddrKind(s string) (AddrKind, error) {
	return parseName[AddrKind]("address kind", addrKindNames, s)
}

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
	ReusePortLB      // FreeBSD 12+: a load-balancing group of listeners
)

var optionNames = []string{"none", "SO_REUSEADDR", "SO_EXCLUSIVEADDRUSE", "SO_REUSEPORT", "SO_REUSEPORT_LB"}

// OptionsOn lists the options of the matrix on a platform: the four every
// platform's matrix has, and the platform's own (PlatformFacts.Options),
// which join the matrix there and nowhere else, so that no other
// platform's run fills up with cells it can only call unsupported.
func OptionsOn(platform string) []Option {
	return append([]Option{None, ReuseAddr, ExclusiveAddrUse, ReusePort}, FactsOf(platform).Options...)
}

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
func SocketFamilies() []SocketFamily {
	return values[SocketFamily](socketFamilyNames)
}
func AddrKinds() []AddrKind { return values[AddrKind](addrKindNames) }
func States() []State       { return values[State](stateNames) }
func Options() []Option     { return values[Option](optionNames) }
func Processes() []Process  { return values[Process](processNames) }

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
