package model

import "slices"

// udpBind transcribes udp_lib_get_port() for a given port, through
// udp_lib_lport_inuse() on the port's whole chain: mainline's intent, and
// what every kernel does while the port's hash slot holds at most ten
// sockets (beyond that, see Deviations).
func (p *port) udpBind(sk *ksock) decision {
	d := decision{ok: true, rule: RulePortFree, against: -1}
	switch {
	case len(p.udp) == 0:
	case p.has(QuirkUDPHash2Wildcard) && len(p.udp) > 10 && sk.rcvSaddr().IsUnspecified():
		// The port's hash slot holds more than ten sockets: the check
		// looks in the slot of the wildcard's own address alone
		// (udp_lib_lport_inuse2()), and so meets no specific socket. A
		// v4-mapped wildcard has a slot of its own too (seen on 5.10).
		d = udpInUse(sk, slices.DeleteFunc(slices.Clone(p.udp), func(o *ksock) bool { return o.addr != sk.addr }), true)
	default:
		d = udpInUse(sk, p.udp, !p.has(QuirkUDPChecksAll))
	}
	switch {
	case !d.ok:
	case sk.inet6 && sk.reuseport:
		// sk_add_node_rcu() (include/net/sock.h) puts an IPv6 socket
		// with SO_REUSEPORT at the chain's tail, every other at its head.
		p.udp = append(p.udp, sk)
	default:
		p.udp = slices.Insert(p.udp, 0, sk)
	}
	return d
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
