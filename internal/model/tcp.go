package model

import "slices"

// Fast-reuseport states of a bind bucket (include/net/inet_hashtables.h).
const (
	fastReusePortOff = iota
	fastReusePortAny
	fastReusePortStrict
)

// bucket is a TCP port's inet_bind_bucket: the sockets bound to the port
// (listeners, bound ones, accepted connections, TIME_WAIT entries) and the
// fast-reuse memory the bucket keeps while any of them is there.
type bucket struct {
	owners        []*ksock
	fastreuse     bool
	fastreuseport int
	fastuid       uint32
	fast          ksock // the address fields of the socket fastreuseport remembers
	// mappedWildcardQuirk is QuirkMappedWildcard.
	mappedWildcardQuirk bool
}

// decision is a check's answer and the rule that gave it.
type decision struct {
	ok      bool
	rule    Rule
	against int
	history bool
}

// bind transcribes inet_csk_get_port() for a given port: the fast paths,
// then inet_csk_bind_conflict(sk, tb, tb2, relax=true, reuseport_ok=true).
func (b *bucket) bind(sk *ksock) decision {
	d := b.check(sk)
	if d.ok {
		b.updateFastReuse(sk)
		b.owners = append(b.owners, sk)
	}
	return d
}

// listen transcribes inet_csk_listen_start(): the state becomes
// TCP_LISTEN and inet_csk_get_port() runs again, now with reuse false.
func (b *bucket) listen(sk *ksock) decision {
	sk.state = kListen
	d := b.check(sk)
	if d.ok {
		b.updateFastReuse(sk)
	} else {
		sk.state = kClose
	}
	return d
}

// check is the part of inet_csk_get_port() that decides.
func (b *bucket) check(sk *ksock) decision {
	others := slices.DeleteFunc(slices.Clone(b.owners), func(o *ksock) bool { return o == sk })
	if len(others) == 0 {
		return decision{ok: true, rule: RulePortFree, against: -1}
	}
	full := b.conflict(sk, others)
	reuse := sk.reuse && sk.state != kListen
	var fast Rule
	switch {
	case b.fastreuse && reuse:
		fast = RuleFastReuse
	case b.reusePortMatch(sk):
		fast = RuleFastReusePort
	default:
		return full
	}
	if full.ok {
		return full // the fast path agrees with the sockets present
	}
	return decision{ok: true, rule: fast, against: full.against, history: true}
}

// conflict transcribes inet_csk_bind_conflict() without its bhash2
// shortcuts: every socket on the port is checked, as mainline intends
// (the bhash2 bugs are Deviations).
func (b *bucket) conflict(sk *ksock, others []*ksock) decision {
	passed := decision{ok: true, rule: RuleNoOverlap, against: -1}
	for _, sk2 := range others {
		if !saddrEqual(sk, sk2, true) || b.mappedWildcardQuirk && mappedPair(sk, sk2) {
			continue
		}
		rule, ok := bindConflict(sk, sk2)
		if !ok {
			return decision{rule: rule, against: sk2.index}
		}
		// The weightiest reason a socket was passed is the answer's.
		if passed.rule != RuleReusePortBoth {
			passed.rule, passed.against = rule, sk2.index
		}
	}
	return passed
}

// bindConflict transcribes inet_bind_conflict() with relax and
// reuseport_ok true, as bind() and listen() call it, and a new socket's
// reuseport_cb_ok (it is in no reuseport group yet). It says which rule
// lets sk pass sk2, or that none does.
func bindConflict(sk, sk2 *ksock) (Rule, bool) {
	if sk.reuse && sk2.reuse && sk2.state != kListen {
		return RuleReuseAddrBoth, true
	}
	if sk.reuseport && sk2.reuseport && (sk2.state == kTimeWait || sk.uid == sk2.uid) {
		return RuleReusePortBoth, true
	}
	return RuleConflict, false
}

// reusePortMatch transcribes sk_reuseport_match().
func (b *bucket) reusePortMatch(sk *ksock) bool {
	if b.fastreuseport == fastReusePortOff || !sk.reuseport || b.fastuid != sk.uid {
		return false
	}
	if b.fastreuseport == fastReusePortAny {
		return true
	}
	f := &b.fast
	if f.inet6 {
		return ipv6SaddrEqual(f.addr, sk.addr, sk.inet6, f.rcvSaddr(), sk.rcvSaddr(), f.v6only, sk.v6only, true, false)
	}
	return ipv4SaddrEqual(f.rcvSaddr(), sk.rcvSaddr(), sk.v6only, true, false)
}

// updateFastReuse transcribes inet_csk_update_fastreuse(), called before
// sk joins the owners at bind and again at listen.
func (b *bucket) updateFastReuse(sk *ksock) {
	reuse := sk.reuse && sk.state != kListen
	if len(b.owners) == 0 {
		b.fastreuse = reuse
		b.fastreuseport = fastReusePortOff
		if sk.reuseport {
			b.fastreuseport, b.fastuid, b.fast = fastReusePortAny, sk.uid, *sk
		}
		return
	}
	if !reuse {
		b.fastreuse = false
	}
	switch {
	case !sk.reuseport:
		b.fastreuseport = fastReusePortOff
	case !b.reusePortMatch(sk):
		b.fastreuseport, b.fastuid, b.fast = fastReusePortStrict, sk.uid, *sk
	}
}

// remove takes sk off the port (inet_put_port()); the bucket, and its
// memory, goes with the last socket (inet_bind_bucket_destroy()).
func (b *bucket) remove(sk *ksock) {
	b.owners = slices.DeleteFunc(b.owners, func(o *ksock) bool { return o == sk })
	if len(b.owners) == 0 {
		*b = bucket{mappedWildcardQuirk: b.mappedWildcardQuirk}
	}
}

// mappedPair says the two sockets are IPv6 sockets on v4-mapped
// addresses, one of them the v4-mapped wildcard: QuirkMappedWildcard
// lets them pass each other.
func mappedPair(sk, sk2 *ksock) bool {
	if !sk.inet6 || !sk2.inet6 || !sk.addr.Is4In6() || !sk2.addr.Is4In6() {
		return false
	}
	return sk.addr.Unmap().IsUnspecified() != sk2.addr.Unmap().IsUnspecified()
}
