package audit

import (
	"net/netip"
	"slices"

	"github.com/bindmatrix/bindmatrix/internal/sock"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// A bind is where an attempt puts its socket: a family and an address on
// the audited socket's port.
type bind struct {
	family matrix.SocketFamily
	addr   netip.Addr
}

// reach is what a socket of family fam bound to addr receives: IPv4 and
// IPv6 destinations, as wildcards or single addresses.
type reach struct {
	v4, v6 netip.Addr // invalid: none of that family; unspecified: all of it
}

func reachOf(fam matrix.SocketFamily, addr netip.Addr) reach {
	switch {
	case fam == matrix.SockIPv4:
		return reach{v4: addr}
	case fam == matrix.SockDualStack && addr.IsUnspecified():
		return reach{v4: netip.IPv4Unspecified(), v6: addr}
	case fam == matrix.SockDualStack && addr.Is4In6():
		return reach{v4: addr.Unmap()}
	}
	return reach{v6: addr}
}

// overlap says whether two reaches share a destination, and names one on
// loopback when they share one there.
func (r reach) overlap(o reach) (shared bool, loop netip.Addr) {
	for _, pair := range [][3]netip.Addr{
		{r.v4, o.v4, netip.AddrFrom4([4]byte{127, 0, 0, 1})},
		{r.v6, o.v6, netip.IPv6Loopback()},
	} {
		a, b, lo := pair[0], pair[1], pair[2]
		if !a.IsValid() || !b.IsValid() {
			continue
		}
		if a.IsUnspecified() || b.IsUnspecified() || a == b {
			shared = true
			both := func(x netip.Addr) bool { return x.IsUnspecified() || x == lo }
			if !loop.IsValid() && both(a) && both(b) {
				loop = lo
			}
		}
	}
	return shared, loop
}

// plan lists the binds a local attacker could try on a socket of family
// fam at addr: the same address, a more specific one (loopback) beside a
// wildcard, the wildcard beside a specific address, and the other family.
// Only binds whose reach overlaps the socket's are kept: a bind that could
// not receive any of its traffic takes nothing, whatever the kernel says.
func plan(fam matrix.SocketFamily, addr netip.Addr) []bind {
	lo4, lo6 := netip.AddrFrom4([4]byte{127, 0, 0, 1}), netip.IPv6Loopback()
	candidates := []bind{{fam, addr}}
	if addr.IsUnspecified() {
		candidates = append(candidates, bind{matrix.SockIPv4, lo4}, bind{matrix.SockIPv6, lo6}, bind{matrix.SockDualStack, netip.AddrFrom16(lo4.As16())})
	} else {
		candidates = append(candidates, bind{fam, sock.Addr(fam, matrix.Wildcard, 0).Addr()})
	}
	candidates = append(candidates,
		bind{matrix.SockIPv4, netip.IPv4Unspecified()}, bind{matrix.SockIPv6, netip.IPv6Unspecified()},
		bind{matrix.SockDualStack, netip.IPv6Unspecified()})
	if a4 := addr.Unmap(); a4.Is4() && !a4.IsUnspecified() {
		candidates = append(candidates, bind{matrix.SockIPv4, a4}, bind{matrix.SockDualStack, netip.AddrFrom16(a4.As16())})
	}
	target := reachOf(fam, addr)
	var out []bind
	for _, b := range candidates {
		if shared, _ := target.overlap(reachOf(b.family, b.addr)); shared && !slices.Contains(out, b) {
			out = append(out, b)
		}
	}
	return out
}
