package explore

import (
	"math/rand/v2"
	"net/netip"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// endpoint is an address and the family of the socket that binds it.
type endpoint struct {
	addr   netip.Addr
	family matrix.SocketFamily
}

var (
	any4     = netip.IPv4Unspecified()
	loop4    = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	mapped   = func(a netip.Addr) netip.Addr { return netip.AddrFrom16(a.As16()) }
	loop6    = netip.IPv6Loopback()
	any6     = netip.IPv6Unspecified()
	ipv4     = matrix.SockIPv4
	v6only   = matrix.SockIPv6
	dual     = matrix.SockDualStack
	optSets  = [][]matrix.Option{nil, {matrix.ReuseAddr}, {matrix.ReusePort}, {matrix.ReuseAddr, matrix.ReusePort}}
	tcpHeld  = []matrix.State{matrix.Bound, matrix.Listening, matrix.TimeWait, matrix.Established, matrix.Closed}
	udpHeld  = []matrix.State{matrix.Bound, matrix.Closed}
	tcpProbe = []matrix.State{matrix.Bound, matrix.Listening}
	owners   = []matrix.Process{matrix.SameProcess, matrix.OtherProcess, matrix.OtherUser}
)

// endpoints is the systematic space's addresses: every kind of address
// each family allows, v4-mapped wildcard and a v4-mapped address on a
// v6-only socket (EINVAL) included.
var endpoints = []endpoint{
	{any4, ipv4}, {loop4, ipv4},
	{any6, v6only}, {loop6, v6only}, {mapped(loop4), v6only},
	{any6, dual}, {loop6, dual}, {mapped(any4), dual}, {mapped(loop4), dual},
}

// The systematic space is enumerated first: every arrangement of two
// sockets of one protocol over the endpoints and option sets, the holder
// bound or listening (TCP) or bound (UDP), the probe bound; then every
// three, whose middle socket is bound on one of the addresses the bhash2
// bugs needed (middles); all of this process. Its size is Systematic().

// middles are the middle socket's endpoints in the systematic triples.
var middles = []endpoint{{any4, ipv4}, {loop4, ipv4}, {any6, v6only}, {any6, dual}, {mapped(any4), dual}}

// choices lists the clauses of one position of the systematic space.
func choices(proto matrix.Proto, from []endpoint, states ...matrix.State) []matrix.Clause {
	var out []matrix.Clause
	for _, e := range from {
		for _, opts := range optSets {
			for _, s := range states {
				out = append(out, matrix.Clause{Proto: proto, Addr: e.addr, Family: e.family, Options: opts, State: s})
			}
		}
	}
	return out
}

// space is one protocol's systematic positions.
type space struct{ holders, middles, probes []matrix.Clause }

var spaces = []space{
	{choices(matrix.TCP, endpoints, matrix.Bound, matrix.Listening), choices(matrix.TCP, middles, matrix.Bound), choices(matrix.TCP, endpoints, matrix.Bound)},
	{choices(matrix.UDP, endpoints, matrix.Bound), choices(matrix.UDP, middles, matrix.Bound), choices(matrix.UDP, endpoints, matrix.Bound)},
}

func (sp space) pairs() int   { return len(sp.holders) * len(sp.probes) }
func (sp space) triples() int { return len(sp.holders) * len(sp.middles) * len(sp.probes) }

// Systematic is how many arrangements the systematic space holds.
func Systematic() int {
	n := 0
	for _, sp := range spaces {
		n += sp.pairs() + sp.triples()
	}
	return n
}

// systematicAt is arrangement i of the systematic space, in a fixed
// order: TCP pairs, TCP triples, UDP pairs, UDP triples.
func systematicAt(i int) matrix.Arrangement {
	for _, sp := range spaces {
		p, m := len(sp.probes), len(sp.middles)
		if i < sp.pairs() {
			return matrix.Arrangement{Clauses: []matrix.Clause{sp.holders[i/p], sp.probes[i%p]}}
		}
		i -= sp.pairs()
		if i < sp.triples() {
			return matrix.Arrangement{Clauses: []matrix.Clause{sp.holders[i/(m*p)], sp.middles[i/p%m], sp.probes[i%p]}}
		}
		i -= sp.triples()
	}
	panic("explore: systematic index out of range")
}

// randomAt is random arrangement i of seed: up to maxSockets sockets
// (ranges count by their sockets), every family, address kind, option
// set, state and owner; one in eight a crowd on consecutive loopback
// addresses. The same seed and index give the same arrangement.
func randomAt(seed uint64, i, maxSockets int) matrix.Arrangement {
	rng := rand.New(rand.NewPCG(seed, uint64(i)))
	proto := matrix.TCP
	if rng.IntN(3) == 0 {
		proto = matrix.UDP
	}
	var a matrix.Arrangement
	left := 1 + rng.IntN(maxSockets)
	for left > 1 {
		c := randomClause(rng, proto, false)
		if left > 2 && rng.IntN(8) == 0 {
			// A crowd on consecutive loopback addresses.
			n := min(left-1, 2+rng.IntN(max(1, min(left-1, 24))))
			first := netip.AddrFrom4([4]byte{127, 0, byte(rng.IntN(4)), byte(1 + rng.IntN(200))})
			last := first
			for range n - 1 {
				last = last.Next()
			}
			c.Addr, c.Last, c.Family = first, last, ipv4
			left -= n
		} else {
			left--
		}
		a.Clauses = append(a.Clauses, c)
	}
	a.Clauses = append(a.Clauses, randomClause(rng, proto, true))
	return a
}

func randomClause(rng *rand.Rand, proto matrix.Proto, probe bool) matrix.Clause {
	e := endpoints[rng.IntN(len(endpoints))]
	if e.addr == loop4 && rng.IntN(3) == 0 {
		e.addr = netip.AddrFrom4([4]byte{127, 0, 0, byte(2 + rng.IntN(3))})
	}
	states := tcpHeld
	switch {
	case proto == matrix.UDP:
		states = udpHeld
	case probe:
		states = tcpProbe
	}
	c := matrix.Clause{Proto: proto, Addr: e.addr, Family: e.family,
		Options: optSets[rng.IntN(len(optSets))], State: states[rng.IntN(len(states))],
		Owner: owners[rng.IntN(len(owners))]}
	if c.Owner != matrix.SameProcess && (c.State == matrix.TimeWait || c.State == matrix.Established) {
		c.Owner = matrix.SameProcess // connections are walked in this process only
	}
	if probe && proto == matrix.UDP {
		c.State = matrix.Bound
	}
	return c
}
