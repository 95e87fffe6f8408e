// Package model predicts what Linux's bind() and listen() answer for an
// arrangement of sockets on one port: a pure function, no sockets. It
// transcribes the intended semantics of current mainline, each rule citing
// the kernel function it follows (rules.go); releases that answer
// otherwise are Deviations, each with its kernel range, fix and minimized
// arrangement, never rules.
//
// A prediction is not an observation: only a run observes. The model
// replays the arrangement's own history (each socket bound, listened,
// connected and closed in order on a port no one else used), because Linux
// answers from history as well as from the sockets present: the bind
// bucket's fast-reuse memory can let a bind pass a socket the full check
// would refuse. Such answers are marked History.
//
// What it does not model: delivery (who gets the traffic), the port
// ranges, privileged ports, SO_BINDTODEVICE, network namespaces, and the
// hash-slot shortcuts of UDP's hash2 (a kernel bug, see Deviations).
package model

import (
	"net/netip"
	"slices"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// Step is the predicted outcome of one socket of the arrangement.
type Step struct {
	Socket  matrix.Socket
	Outcome matrix.Outcome // ok, or the call that fails and its error
	Rule    Rule           // the rule that decided it
	// Against is the socket (its index in the arrangement's Sockets, from
	// 0) whose presence decided the outcome, or -1.
	Against int
	// History: the outcome comes from the bind bucket's memory of sockets
	// that came and went, and the sockets present alone would give
	// another (tb->fastreuse, tb->fastreuseport).
	History bool
}

// UIDs gives each owner its user: the model only compares them.
func uidOf(p matrix.Process) uint32 {
	if p == matrix.OtherUser {
		return 65534
	}
	return 0
}

// Predict runs the arrangement through the model: every socket in order,
// each reaching its state before the next. A socket whose bind or listen
// fails is gone; the next ones go on.
func Predict(a matrix.Arrangement) []Step { return PredictWith(a) }

// PredictWith predicts as a kernel with the given quirks would: the
// deviations (deviations.go) switched on, to name what a kernel that
// differs from the model does. A quirk is never a rule of Predict.
func PredictWith(a matrix.Arrangement, quirks ...Quirk) []Step {
	p := port{quirks: quirks}
	sockets := a.Sockets()
	steps := make([]Step, len(sockets))
	for i, s := range sockets {
		steps[i] = p.make(i, s)
	}
	return steps
}

// port is one port's sockets: TCP's bind bucket and UDP's hash chain.
type port struct {
	tcp    bucket
	udp    []*ksock // in the order sk_add_node_rcu() keeps the chain (udp.go)
	quirks []Quirk
}

func (p *port) has(q Quirk) bool { return slices.Contains(p.quirks, q) }

// make opens socket i, sets its options, binds it and walks it to its
// state.
func (p *port) make(i int, s matrix.Socket) Step {
	step := Step{Socket: s, Outcome: matrix.OK, Against: -1}
	for _, o := range s.Options {
		if o != matrix.ReuseAddr && o != matrix.ReusePort {
			step.Outcome, step.Rule = matrix.Unsupported, RuleNoOption
			return step
		}
	}
	sk := newSock(i, s, uidOf(s.Owner))
	if sk.inet6 && sk.v6only && sk.addr.Is4In6() {
		step.Outcome, step.Rule = matrix.Failed("bind", "EINVAL"), RuleMappedOnV6Only
		return step
	}
	if sk.inet6 && typeOf(sk.addr) == v6Unicast {
		// __inet6_bind(): a socket bound to a specific IPv6 address
		// that is not v4-mapped becomes IPv6-only.
		sk.v6only = true
	}
	if s.Proto == matrix.UDP {
		d := p.udpBind(sk)
		step.Rule, step.Against = d.rule, d.against
		if !d.ok {
			step.Outcome = matrix.Failed("bind", "EADDRINUSE")
			return step
		}
		if s.State == matrix.Closed {
			p.udpRemove(sk)
		}
		return step
	}
	p.tcp.mappedWildcardQuirk = p.has(QuirkMappedWildcard)
	d := p.tcp.bind(sk)
	step.Rule, step.Against, step.History = d.rule, d.against, d.history
	if !d.ok {
		step.Outcome = matrix.Failed("bind", "EADDRINUSE")
		return step
	}
	switch s.State {
	case matrix.Bound:
		return step
	case matrix.Closed:
		p.tcp.remove(sk)
		return step
	}
	if d := p.tcp.listen(sk); !d.ok {
		p.tcp.remove(sk)
		step.Outcome, step.Rule, step.Against, step.History = matrix.Failed("listen", "EADDRINUSE"), d.rule, d.against, d.history
		return step
	}
	if s.State == matrix.Listening {
		return step
	}
	// established and time_wait: a client connects, the connection is
	// accepted (the child joins the listener's bucket, inheriting its
	// options: __inet_inherit_port() calls no inet_csk_update_fastreuse()
	// for the same port), and the listener closes. For time_wait the
	// accepted side closes first and leaves a TIME_WAIT socket with its
	// options (inet_twsk_alloc() copies tw_reuse, tw_reuseport,
	// tw_ipv6only).
	child := *sk
	child.addr = connectedAddr(sk)
	child.state = kEstablished
	if s.State == matrix.TimeWait {
		child.state = kTimeWait
	}
	p.tcp.owners = append(p.tcp.owners, &child)
	p.tcp.remove(sk)
	return step
}

// connectedAddr is the local address of a connection accepted by sk: the
// address a client reaches it by (internal/sock.Loopback: IPv4's loopback
// for IPv4 and dual-stack sockets, ::1 for v6-only ones), as the accepted
// socket records it (v4-mapped on an AF_INET6 socket).
func connectedAddr(sk *ksock) netip.Addr {
	switch {
	case !sk.rcvSaddr().IsUnspecified():
		return sk.addr
	case !sk.inet6:
		return loopback4
	case sk.v6only:
		return netip.IPv6Loopback()
	}
	return netip.AddrFrom16(loopback4.As16())
}

var loopback4 = netip.AddrFrom4([4]byte{127, 0, 0, 1})
