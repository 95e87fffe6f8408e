package sock

import (
	"net/netip"

	"github.com/bindmatrix/bindmatrix/matrix"
)

var loopback4 = netip.AddrFrom4([4]byte{127, 0, 0, 1})

// Addr is where a socket of family fam binds in a matrix cell
// (matrix.CellAddr), on port.
func Addr(fam matrix.SocketFamily, kind matrix.AddrKind, port uint16) netip.AddrPort {
	return netip.AddrPortFrom(matrix.CellAddr(fam, kind), port)
}

// Loopback is the address a client uses to reach a socket of family fam on
// port, and the family of that client: IPv4's loopback for IPv4 and
// dual-stack sockets (the dual-stack path is the one under test), ::1 for
// IPv6-only ones.
func Loopback(fam matrix.SocketFamily, port uint16) (matrix.SocketFamily, netip.AddrPort) {
	if fam == matrix.SockIPv6 {
		return matrix.SockIPv6, netip.AddrPortFrom(netip.IPv6Loopback(), port)
	}
	return matrix.SockIPv4, netip.AddrPortFrom(loopback4, port)
}

// FamilyOf is the family of a plain socket that binds a: IPv4 for IPv4
// addresses, dual-stack for v4-mapped ones, IPv6-only for the rest.
func FamilyOf(a netip.Addr) matrix.SocketFamily {
	switch {
	case a.Is4():
		return matrix.SockIPv4
	case a.Is4In6():
		return matrix.SockDualStack
	}
	return matrix.SockIPv6
}
