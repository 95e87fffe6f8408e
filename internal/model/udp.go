package model

import (
	"net/netip"
	"slices"
)

// udpBind transcribes udp_lib_get_port() for a given port. While the
// port's hash slot holds at most ten sockets, udp_lib_lport_inuse()
// checks the port's whole chain. Beyond ten (crowded), a socket on a
// specific address is checked in two secondary (hash2) slots, its own
// address's and the wildcard's, where the first overlapping socket of
// each decides (udp_lib_lport_inuse2()); a wildcard socket still checks
// the whole chain (inet_use_hash2_on_bind(), since CVE-2026-31503's fix).
// The slot is taken to hold this port's sockets alone: another port's
// sockets that share it on a busy machine can make it crowded sooner.
func (p *port) udpBind(sk *ksock) decision {
	d := decision{ok: true, rule: RulePortFree, against: -1}
	crowded := len(p.udp) > 10
	wildcard := sk.rcvSaddr().IsUnspecified()
	switch {
	case len(p.udp) == 0:
	case crowded && (!wildcard || p.has(QuirkUDPHash2Wildcard)):
		// The quirk: a wildcard socket takes the hash2 path too, where
		// its own slot is the wildcard's, and meets no specific socket.
		d = udpInUse(sk, slot(p.udp, hashKey(sk)), true)
		if d.ok && !wildcard {
			if w := udpInUse(sk, slot(p.udp, anyKey), true); !w.ok || d.rule == RuleNoOverlap {
				d = w
			}
		}
		if d.rule != RuleNoOverlap {
			d.rule = RuleUDPHash2
		}
	default:
		d = udpInUse(sk, p.udp, !p.has(QuirkUDPChecksAll))
	}
	switch {
	case !d.ok:
	case sk.inet6 && sk.reuseport:
		// sk_add_node_rcu() (include/net/sock.h) puts an IPv6 socket
		// with SO_REUSEPORT at the chain's tail, every other at its head;
		// udp_lib_get_port() does the same in the hash2 slots.
		p.udp = append(p.udp, sk)
	default:
		p.udp = slices.Insert(p.udp, 0, sk)
	}
	return d
}

// anyKey is the hash2 key every wildcard shares: ipv6_portaddr_hash()
// hashes ::, and ::ffff:0.0.0.0, as ipv4_portaddr_hash() hashes 0.0.0.0.
var anyKey = netip.IPv4Unspecified()

// hashKey is the address a socket's hash2 slot is chosen by: a v4-mapped
// address by its IPv4 address (include/net/ipv6.h ipv6_portaddr_hash()).
func hashKey(k *ksock) netip.Addr {
	if k.rcvSaddr().IsUnspecified() {
		return anyKey
	}
	return k.addr.Unmap()
}

// slot is the sockets of chain in the hash2 slot of key, in the chain's
// order (both keep IPv6 SO_REUSEPORT sockets last).
func slot(chain []*ksock, key netip.Addr) []*ksock {
	return slices.DeleteFunc(slices.Clone(chain), func(o *ksock) bool { return hashKey(o) != key })
}

// udpInUse transcribes udp_lib_lport_inuse() for one port (no bitmap): the
// first overlapping socket that both set SO_REUSEPORT with one user ends
// the check with "not in use", the first other overlapping socket not
// passed by SO_REUSEADDR with "in use".
// With earlyStop false, every overlapping socket must be passed (the
// deviation QuirkUDPChecksAll).
func udpInUse(sk *ksock, chain []*ksock, earlyStop bool) decision {
	passed := decision{ok: true, rule: RuleNoOverlap, against: -1}
	for _, sk2 := range chain {
		if !saddrEqual(sk, sk2, true) {
			continue
		}
		if sk.reuse && sk2.reuse {
			passed.rule, passed.against = RuleUDPReuseAddrBoth, sk2.index
			continue
		}
		if sk.reuseport && sk2.reuseport && sk.uid == sk2.uid {
			if earlyStop {
				return decision{ok: true, rule: RuleUDPReusePort, against: sk2.index}
			}
			passed.rule, passed.against = RuleUDPReusePort, sk2.index
			continue
		}
		return decision{rule: RuleUDPConflict, against: sk2.index}
	}
	return passed
}

// udpRemove unhashes sk (udp_lib_unhash()).
func (p *port) udpRemove(sk *ksock) {
	p.udp = slices.DeleteFunc(p.udp, func(o *ksock) bool { return o == sk })
}
