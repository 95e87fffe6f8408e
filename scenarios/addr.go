package scenarios

import (
	"net/netip"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// family is how a single socket is opened: an IPv6 socket either sets
// IPV6_V6ONLY=1 (ipv6) or clears it to accept IPv4 too (dual-stack).
type family uint8

const (
	familyIPv4 family = iota
	familyIPv6
	familyDualStack
)

var socketFamilies = map[matrix.SocketFamily]family{
	matrix.SockIPv4: familyIPv4, matrix.SockIPv6: familyIPv6, matrix.SockDualStack: familyDualStack,
}

// families are how a cell opens its first and second socket.
func families(c matrix.Cell) (first, second family) {
	return socketFamilies[c.FirstFamily], socketFamilies[c.SecondFamily]
}

var loopback4 = netip.AddrFrom4([4]byte{127, 0, 0, 1})

// address is where a socket of family fam binds: the loopback address
// (specific) or the unspecified one (wildcard). A dual-stack socket's
// specific address is IPv4's loopback, v4-mapped (::ffff:127.0.0.1), so that
// it names the same endpoint as an IPv4 socket's.
func address(fam family, a matrix.Addr, port uint16) netip.AddrPort {
	var ip netip.Addr
	switch {
	case fam == familyIPv4 && a == matrix.Specific:
		ip = loopback4
	case fam == familyIPv4:
		ip = netip.IPv4Unspecified()
	case fam == familyDualStack && a == matrix.Specific:
		ip = netip.AddrFrom16(loopback4.As16())
	case a == matrix.Specific:
		ip = netip.IPv6Loopback()
	default:
		ip = netip.IPv6Unspecified()
	}
	return netip.AddrPortFrom(ip, port)
}

// reachable is the loopback address a client uses to reach a socket of
// family fam: IPv4's for IPv4 and dual-stack sockets (the dual-stack path
// is the one under test), ::1 for IPv6-only ones.
func reachable(fam family, port uint16) (family, netip.AddrPort) {
	if fam == familyIPv6 {
		return familyIPv6, netip.AddrPortFrom(netip.IPv6Loopback(), port)
	}
	return familyIPv4, netip.AddrPortFrom(loopback4, port)
}

// sameAddr compares addresses the way the kernel's tables may print them:
// v4-mapped or not, and any unspecified address equal to any other.
func sameAddr(a, b netip.Addr) bool {
	return a.Unmap() == b.Unmap() || (a.IsUnspecified() && b.IsUnspecified())
}

func sameAddrPort(a, b netip.AddrPort) bool {
	return a.Port() == b.Port() && sameAddr(a.Addr(), b.Addr())
}
