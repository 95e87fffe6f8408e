package audit

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// TestPlanKeepsOnlyBindsThatCanTakeTraffic: every bind a local attacker
// would try whose reach overlaps the socket's, and none that cannot.
func TestPlanKeepsOnlyBindsThatCanTakeTraffic(t *testing.T) {
	a := netip.MustParseAddr
	v4, v6, dual := matrix.SockIPv4, matrix.SockIPv6, matrix.SockDualStack
	for _, tc := range []struct {
		name string
		fam  matrix.SocketFamily
		addr netip.Addr
		want []bind
	}{
		{"ipv4 loopback", v4, a("127.0.0.1"), []bind{{v4, a("127.0.0.1")}, {v4, a("0.0.0.0")}, {dual, a("::")}, {dual, a("::ffff:127.0.0.1")}}},
		{"ipv4 wildcard", v4, a("0.0.0.0"), []bind{{v4, a("0.0.0.0")}, {v4, a("127.0.0.1")}, {dual, a("::ffff:127.0.0.1")}, {dual, a("::")}}},
		{"ipv6-only loopback", v6, a("::1"), []bind{{v6, a("::1")}, {v6, a("::")}, {dual, a("::")}}},
		{"dual-stack wildcard", dual, a("::"), []bind{{dual, a("::")}, {v4, a("127.0.0.1")}, {v6, a("::1")}, {dual, a("::ffff:127.0.0.1")}, {v4, a("0.0.0.0")}, {v6, a("::")}}},
		{"ipv4 on another interface", v4, a("192.0.2.7"), []bind{{v4, a("192.0.2.7")}, {v4, a("0.0.0.0")}, {dual, a("::")}, {dual, a("::ffff:192.0.2.7")}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := plan(tc.fam, tc.addr)
			if !slices.Equal(got, tc.want) {
				t.Errorf("plan(%s, %s) =\n  %v\nwant\n  %v", tc.fam, tc.addr, got, tc.want)
			}
		})
	}
}

// TestDeliveryGoesToLoopbackOnly: test traffic is sent to a loopback
// address both sockets receive, or nowhere.
func TestDeliveryGoesToLoopbackOnly(t *testing.T) {
	a := netip.MustParseAddr
	for _, tc := range []struct {
		server, attempt reach
		want            string
	}{
		{reachOf(matrix.SockIPv4, a("127.0.0.1")), reachOf(matrix.SockDualStack, a("::")), "127.0.0.1"},
		{reachOf(matrix.SockDualStack, a("::")), reachOf(matrix.SockIPv6, a("::1")), "::1"},
		{reachOf(matrix.SockIPv4, a("192.0.2.7")), reachOf(matrix.SockIPv4, a("0.0.0.0")), "invalid IP"},
	} {
		if _, loop := tc.server.overlap(tc.attempt); loop.String() != tc.want {
			t.Errorf("%+v against %+v: traffic to %s, want %s", tc.server, tc.attempt, loop, tc.want)
		}
	}
}

func TestVerdicts(t *testing.T) {
	refused := matrix.Attempt{Outcome: matrix.Failed("bind", "EADDRINUSE")}
	took := matrix.Attempt{Outcome: matrix.OK, Delivery: &matrix.AttemptDelivery{Sent: 16, Second: 7}}
	quiet := matrix.Attempt{Outcome: matrix.OK, Delivery: &matrix.AttemptDelivery{Sent: 16}}
	unmeasured := matrix.Attempt{Outcome: matrix.OK}
	unreached := matrix.Attempt{Outcome: matrix.Unreached}
	for _, tc := range []struct {
		attempts []matrix.Attempt
		want     matrix.SocketVerdict
	}{
		{[]matrix.Attempt{refused, refused}, matrix.Exclusive},
		{[]matrix.Attempt{refused, quiet}, matrix.Exclusive}, // bound beside it, got none of its traffic
		{[]matrix.Attempt{refused, took}, matrix.Hijackable},
		{[]matrix.Attempt{unmeasured}, matrix.Hijackable}, // could take it: nothing showed otherwise
		{[]matrix.Attempt{refused, unreached}, matrix.SocketUnreached},
		{[]matrix.Attempt{unreached, took}, matrix.Hijackable},
	} {
		if got := verdictOf(tc.attempts); got != tc.want {
			t.Errorf("%+v: %s, want %s", tc.attempts, got, tc.want)
		}
	}
}
