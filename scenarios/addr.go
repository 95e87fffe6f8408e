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

func familyOf(f matrix.Family) family {
	if f == matrix.IPv6 {
		return familyIPv6
	}
	return familyIPv4
}

// address is where a socket of family fam binds: the loopback address
// (specific) or the unspecified one (wildcard).
func address(fam family, a matrix.Addr, port uint16) netip.AddrPort {
	var ip netip.Addr
	switch {
	case fam == familyIPv4 && a == matrix.Specific:
		ip = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	case fam == familyIPv4:
		ip = netip.IPv4Unspecified()
	case a == matrix.Specific:
		ip = netip.IPv6Loopback()
	default:
		ip = netip.IPv6Unspecified()
	}
	return netip.AddrPortFrom(ip, port)
}
