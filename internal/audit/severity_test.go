package audit

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// hijacked is a hijackable socket of proto on port whose takeovers set
// opts, as the auditor's own user.
func hijacked(proto matrix.Proto, port uint16, opts ...matrix.Option) matrix.AuditSocket {
	s := matrix.AuditSocket{Proto: proto, Address: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port), Verdict: matrix.Hijackable}
	for _, o := range opts {
		s.Attempts = append(s.Attempts, matrix.Attempt{Address: s.Address, Option: o, User: "same", Outcome: matrix.OK,
			Delivery: &matrix.AttemptDelivery{Sent: 16, Second: 16}})
	}
	s.Attempts = append(s.Attempts, matrix.Attempt{Address: s.Address, Option: matrix.None, User: "same", Outcome: matrix.Failed("bind", "EADDRINUSE")})
	return s
}

// TestDeriveWhoCanTakeIt: the rules of Linux, from the socket's owner, the
// options the takeovers needed, its protocol and its port.
func TestDeriveWhoCanTakeIt(t *testing.T) {
	for _, tc := range []struct {
		name     string
		platform string
		s        matrix.AuditSocket
		uid      int
		want     matrix.Who
		why      string
	}{
		{"udp SO_REUSEADDR", "linux", hijacked(matrix.UDP, 5353, matrix.ReuseAddr), 0, matrix.WhoAnyUser, "whatever their users"},
		{"udp SO_REUSEADDR below the threshold", "linux", hijacked(matrix.UDP, 53, matrix.ReuseAddr), 0, matrix.WhoPrivileged, "below 1024"},
		{"root's SO_REUSEPORT", "linux", hijacked(matrix.TCP, 8080, matrix.ReusePort), 0, matrix.WhoPrivileged, "root created"},
		{"www's SO_REUSEPORT", "linux", hijacked(matrix.TCP, 8080, matrix.ReusePort), 33, matrix.WhoSameUser, "effective uid"},
		{"unknown owner's SO_REUSEPORT", "linux", hijacked(matrix.TCP, 8080, matrix.ReusePort), -1, matrix.WhoSameUser, "not known"},
		{"a plain bind", "linux", hijacked(matrix.TCP, 8080, matrix.None), 33, matrix.WhoAnyUser, "no option"},
		{"both: the worse wins", "linux", hijacked(matrix.UDP, 8080, matrix.ReusePort, matrix.ReuseAddr), 0, matrix.WhoAnyUser, "SO_REUSEADDR"},
		{"windows", "windows", hijacked(matrix.TCP, 80, matrix.ReuseAddr), -1, matrix.WhoSameUser, "not modelled"},
		{"exclusive", "linux", matrix.AuditSocket{Verdict: matrix.Exclusive}, 0, matrix.WhoNone, "no attempt"},
		{"unreached", "linux", matrix.AuditSocket{Verdict: matrix.SocketUnreached}, 0, matrix.WhoUnknown, "could not be made"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := 1024
			if tc.platform == "windows" {
				start = 0
			}
			who, why := Derive(tc.platform, tc.s, tc.uid, start, "test")
			if who != tc.want || !strings.Contains(why, tc.why) {
				t.Errorf("%s (%s), want %s because of %q", who, why, tc.want, tc.why)
			}
		})
	}
}

// TestConfirmWhoCanTakeIt: attempts as other users bear the derivation
// out, or overrule it; without them it stands unconfirmed.
func TestConfirmWhoCanTakeIt(t *testing.T) {
	uids := map[string]int{"nobody": 65534, "www": 33, "root": 0}
	uidOf := func(name string) (int, bool) { u, ok := uids[name]; return u, ok }
	as := func(s matrix.AuditSocket, user string, outcome matrix.Outcome, got int) matrix.AuditSocket {
		at := matrix.Attempt{Address: s.Address, Option: s.Attempts[0].Option, User: user, Outcome: outcome}
		if outcome == matrix.OK {
			at.Delivery = &matrix.AttemptDelivery{Sent: 16, Second: got}
		}
		s.Attempts = append(s.Attempts, at)
		return s
	}
	inuse := matrix.Failed("bind", "EADDRINUSE")
	udp := hijacked(matrix.UDP, 5353, matrix.ReuseAddr)
	reuseport := hijacked(matrix.TCP, 8080, matrix.ReusePort)
	for _, tc := range []struct {
		name         string
		s            matrix.AuditSocket
		derived      matrix.Who
		uid, auditor int
		want         matrix.Who
		check        matrix.Confirmation
		checked      string
	}{
		{"nobody took root's UDP socket", as(udp, "nobody", matrix.OK, 16), matrix.WhoAnyUser, 0, 0, matrix.WhoAnyUser, matrix.Confirmed, "as nobody: 127.0.0.1:5353 SO_REUSEADDR took 16 of 16"},
		{"nobody was refused root's SO_REUSEPORT", as(reuseport, "nobody", inuse, 0), matrix.WhoPrivileged, 0, 0, matrix.WhoPrivileged, matrix.Confirmed, "bind:EADDRINUSE"},
		{"nobody was refused www's, www took it", as(as(reuseport, "www", matrix.OK, 7), "nobody", inuse, 0), matrix.WhoSameUser, 33, 0, matrix.WhoSameUser, matrix.Confirmed, "as nobody"},
		{"nobody was refused www's, www not tried", as(reuseport, "nobody", inuse, 0), matrix.WhoSameUser, 33, 0, matrix.WhoSameUser, matrix.Confirmed, "no attempt ran as the owner"},
		{"nobody took what the rules keep to root", as(reuseport, "nobody", matrix.OK, 5), matrix.WhoPrivileged, 0, 0, matrix.WhoAnyUser, matrix.Contradicted, "took 5 of 16"},
		{"nobody was refused what the rules open to all", as(udp, "nobody", inuse, 0), matrix.WhoAnyUser, 0, 0, matrix.WhoAnyUser, matrix.Contradicted, "bind:EADDRINUSE"},
		{"a non-root auditor of another user's socket", udp, matrix.WhoAnyUser, 0, 1000, matrix.WhoAnyUser, matrix.Confirmed, "as same"},
		{"only the owner tried", reuseport, matrix.WhoSameUser, 33, 33, matrix.WhoSameUser, matrix.NotConfirmed, ""},
		{"owner unknown", as(udp, "nobody", matrix.OK, 16), matrix.WhoAnyUser, -1, 0, matrix.WhoAnyUser, matrix.NotConfirmed, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			who, check, checked := Confirm(tc.s, tc.derived, tc.uid, tc.auditor, uidOf)
			if who != tc.want || check != tc.check || !strings.Contains(checked, tc.checked) {
				t.Errorf("%s, %s (%q); want %s, %s with %q", who, check, checked, tc.want, tc.check, tc.checked)
			}
		})
	}
}
