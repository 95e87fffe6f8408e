package model

// A Rule is one decision of Linux's bind() or listen(), with the source it
// transcribes. The sources are mainline's (v6.12 to v6.18 read the same for
// these functions); where a release differs, that is a Deviation, never a
// rule.
type Rule struct {
	ID     string // stable, for tests and JSON
	Says   string // the rule in a sentence
	Source string // file and function of the kernel source
}

var (
	RuleNoOption = Rule{"no-such-option",
		"Linux has no SO_EXCLUSIVEADDRUSE and no SO_REUSEPORT_LB: setsockopt fails and no socket is bound",
		"include/uapi/asm-generic/socket.h (the option numbers Linux defines)"}
	RuleMappedOnV6Only = Rule{"v4-mapped-on-v6only",
		"a v4-mapped address on an IPV6_V6ONLY socket is EINVAL",
		"net/ipv6/af_inet6.c __inet6_bind()"}
	RulePortFree = Rule{"port-free",
		"no socket is on the port",
		"net/ipv4/inet_connection_sock.c inet_csk_get_port(); net/ipv4/udp.c udp_lib_get_port()"}
	RuleNoOverlap = Rule{"no-overlap",
		"no socket on the port has an overlapping address (a wildcard covers its family's addresses, a dual-stack wildcard IPv4's too; a v6-only socket never meets an IPv4 or v4-mapped one)",
		"net/ipv4/inet_connection_sock.c inet_rcv_saddr_equal(), ipv4_rcv_saddr_equal(), ipv6_rcv_saddr_equal()"}
	RuleReuseAddrBoth = Rule{"reuseaddr-both-not-listening",
		"both sockets set SO_REUSEADDR and the one there is not listening: the bind passes it",
		"net/ipv4/inet_connection_sock.c inet_bind_conflict()"}
	RuleReusePortBoth = Rule{"reuseport-same-user",
		"both sockets set SO_REUSEPORT and the one there belongs to the same user or is in TIME_WAIT: the bind passes it",
		"net/ipv4/inet_connection_sock.c inet_bind_conflict()"}
	RuleConflict = Rule{"conflict",
		"a socket on the port has an overlapping address and neither SO_REUSEADDR (both set, the other not listening) nor SO_REUSEPORT (both set, same user or TIME_WAIT) lets this one pass it",
		"net/ipv4/inet_connection_sock.c inet_bind_conflict(), inet_csk_bind_conflict()"}
	RuleFastReuse = Rule{"bucket-fastreuse",
		"the port's bind bucket remembers that every socket bound to it set SO_REUSEADDR and none listened (tb->fastreuse): a SO_REUSEADDR bind passes without a check",
		"net/ipv4/inet_connection_sock.c inet_csk_get_port(), inet_csk_update_fastreuse()"}
	RuleFastReusePort = Rule{"bucket-fastreuseport",
		"the port's bind bucket remembers a SO_REUSEPORT socket of this user on a covering address (tb->fastreuseport): a SO_REUSEPORT bind or listen passes without a check",
		"net/ipv4/inet_connection_sock.c inet_csk_get_port(), sk_reuseport_match(), inet_csk_update_fastreuse()"}
	RuleUDPReuseAddrBoth = Rule{"udp-reuseaddr-both",
		"both UDP sockets set SO_REUSEADDR: the bind passes the other, whoever owns it",
		"net/ipv4/udp.c udp_lib_lport_inuse()"}
	RuleUDPReusePort = Rule{"udp-reuseport-same-user",
		"both UDP sockets set SO_REUSEPORT and belong to one user: the check ends at the first such socket of the port's hash chain (newest first, but IPv6 sockets with SO_REUSEPORT last)",
		"net/ipv4/udp.c udp_lib_lport_inuse(); include/net/sock.h sk_add_node_rcu()"}
	RuleUDPHash2 = Rule{"udp-hash2",
		"more than ten UDP sockets share the port's hash slot: a socket on a specific address is checked in the slot of its own address, then in the wildcard's, and the first overlapping socket of each that SO_REUSEADDR does not pass decides (both SO_REUSEPORT, one user: passed; else in use)",
		"net/ipv4/udp.c udp_lib_get_port(), udp_lib_lport_inuse2(); include/net/inet_hashtables.h inet_use_hash2_on_bind()"}
	RuleUDPConflict = Rule{"udp-conflict",
		"a UDP socket on the port has an overlapping address, and not both set SO_REUSEADDR, nor both SO_REUSEPORT with one user",
		"net/ipv4/udp.c udp_lib_lport_inuse()"}
)

// Rules lists every rule, for the docs and for tests that every rule is
// reached.
var Rules = []Rule{RuleNoOption, RuleMappedOnV6Only, RulePortFree, RuleNoOverlap, RuleReuseAddrBoth,
	RuleReusePortBoth, RuleConflict, RuleFastReuse, RuleFastReusePort, RuleUDPReuseAddrBoth,
	RuleUDPReusePort, RuleUDPHash2, RuleUDPConflict}
