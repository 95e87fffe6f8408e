package model

import (
	"net/netip"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// kstate is a socket's TCP state as the bind checks read it.
type kstate uint8

const (
	kClose kstate = iota // bound, not listening (TCP_CLOSE); every UDP socket
	kListen
	kEstablished
	kTimeWait
)

// ksock is a socket as the port's bind bucket (TCP) or hash chain (UDP)
// holds it: the fields the kernel's checks read.
type ksock struct {
	index     int  // the arrangement's socket it stands for, from 0
	inet6     bool // sk_family == AF_INET6
	v6only    bool // ipv6_only_sock(sk)
	addr      netip.Addr
	reuse     bool // sk_reuse (SO_REUSEADDR)
	reuseport bool // sk_reuseport (SO_REUSEPORT)
	state     kstate
	uid       uint32
}

// loopback4IPv6 is what an AF_INET6 socket bound to a specific, not
// v4-mapped address keeps as its IPv4 address: 127.0.0.6, which no IPv4
// socket binds by accident (include/net/ipv6.h LOOPBACK4_IPV6; set in
// net/ipv6/af_inet6.c __inet6_bind()).
var loopback4IPv6 = netip.AddrFrom4([4]byte{127, 0, 0, 6})

// rcvSaddr is sk_rcv_saddr: the socket's IPv4 address, 0.0.0.0 for a
// wildcard.
func (s *ksock) rcvSaddr() netip.Addr {
	switch {
	case !s.inet6:
		return s.addr
	case s.addr.Is4In6():
		return s.addr.Unmap()
	case s.addr.IsUnspecified():
		return netip.IPv4Unspecified()
	}
	return loopback4IPv6
}

// v6type is ipv6_addr_type() reduced to what the checks ask.
type v6type uint8

const (
	v6Unicast v6type = iota
	v6Any
	v6Mapped
)

func typeOf(a netip.Addr) v6type {
	switch {
	case a.Is4In6():
		return v6Mapped
	case a.IsUnspecified():
		return v6Any
	}
	return v6Unicast
}

// ipv4SaddrEqual transcribes ipv4_rcv_saddr_equal()
// (net/ipv4/inet_connection_sock.c, unchanged from v4.x to v6.18).
func ipv4SaddrEqual(a1, a2 netip.Addr, sk2v6only, wild1, wild2 bool) bool {
	if sk2v6only {
		return false
	}
	if a1 == a2 {
		return true
	}
	return wild1 && a1.IsUnspecified() || wild2 && a2.IsUnspecified()
}

// ipv6SaddrEqual transcribes ipv6_rcv_saddr_equal() (same file). sk2 is
// nil-able in the kernel (an IPv4 sk2 has no IPv6 address: it counts as
// v4-mapped); here sk2inet6 says whether it has one.
func ipv6SaddrEqual(a1, a2 netip.Addr, sk2inet6 bool, r1, r2 netip.Addr, v6only1, v6only2, wild1, wild2 bool) bool {
	t1, t2 := typeOf(a1), v6Mapped
	if sk2inet6 {
		t2 = typeOf(a2)
	}
	if t1 == v6Mapped && t2 == v6Mapped {
		return ipv4SaddrEqual(r1, r2, v6only2, wild1, wild2)
	}
	if t1 == v6Any && t2 == v6Any {
		return true
	}
	if t2 == v6Any && wild2 && !(v6only2 && t1 == v6Mapped) {
		return true
	}
	if t1 == v6Any && wild1 && !(v6only1 && t2 == v6Mapped) {
		return true
	}
	return sk2inet6 && a1 == a2
}

// saddrEqual transcribes inet_rcv_saddr_equal(): do the two sockets'
// addresses overlap?
func saddrEqual(sk, sk2 *ksock, matchWildcard bool) bool {
	if sk.inet6 {
		return ipv6SaddrEqual(sk.addr, sk2.addr, sk2.inet6, sk.rcvSaddr(), sk2.rcvSaddr(),
			sk.v6only, sk2.v6only, matchWildcard, matchWildcard)
	}
	return ipv4SaddrEqual(sk.rcvSaddr(), sk2.rcvSaddr(), sk2.v6only, matchWildcard, matchWildcard)
}

// newSock is the socket an arrangement's socket opens, before its bind.
func newSock(index int, s matrix.Socket, uid uint32) *ksock {
	k := &ksock{index: index, inet6: s.Family != matrix.SockIPv4, v6only: s.Family == matrix.SockIPv6,
		addr: s.Addr, uid: uid}
	for _, o := range s.Options {
		switch o {
		case matrix.ReuseAddr:
			k.reuse = true
		case matrix.ReusePort:
			k.reuseport = true
		}
	}
	return k
}
