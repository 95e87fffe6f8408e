package model

import "slices"

// udpBind transcribes udp_lib_get_port() for a given port, through
// udp_lib_lport_inuse() on the port's whole chain: mainline's intent, and
// what every kernel does while the port's hash slot holds at most ten
// sockets (beyond that, see Deviations).
func (p *port) udpBind(sk *ksock) decision {
	if len(p.udp) == 0 {
		p.udp = []*ksock{sk}
		return decision{ok: true, rule: RulePortFree, against: -1}
	}
	d := udpInUse(sk, p.udp)
	if d.ok {
		p.udp = slices.Insert(p.udp, 0, sk) // sk_add_node_rcu(): at the head
	}
	return d
}

// udpInUse transcribes udp_lib_lport_inuse() for one port (no bitmap): the
// first overlapping socket that both set SO_REUSEPORT with one user ends
// the check with "not in use", the first other overlapping socket not
// passed by SO_REUSEADDR with "in use".
func udpInUse(sk *ksock, chain []*ksock) decision {
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
			return decision{ok: true, rule: RuleUDPReusePort, against: sk2.index}
		}
		return decision{rule: RuleUDPConflict, against: sk2.index}
	}
	return passed
}

// udpRemove unhashes sk (udp_lib_unhash()).
func (p *port) udpRemove(sk *ksock) {
	p.udp = slices.DeleteFunc(p.udp, func(o *ksock) bool { return o == sk })
}
