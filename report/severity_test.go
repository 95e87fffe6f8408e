package report

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// TestSeverity: who can take a hijackable socket, from whose attempts took
// it (the shapes seen here: unbound's UDP socket, nginx reuseport run as
// root, named's sockets made as bind, memcached's as nobody), and derived
// where no attempt as another user was made.
func TestSeverity(t *testing.T) {
	ap := netip.MustParseAddrPort
	took := func(user string, opt matrix.Option) matrix.Attempt {
		return matrix.Attempt{Address: ap("127.0.0.1:5353"), Option: opt, User: user, Outcome: matrix.OK,
			Delivery: &matrix.AttemptDelivery{Sent: 16, Second: 16}}
	}
	refused := func(user string, opt matrix.Option) matrix.Attempt {
		return matrix.Attempt{Address: ap("127.0.0.1:5353"), Option: opt, User: user, Outcome: matrix.Failed("bind", "EADDRINUSE")}
	}
	sock := func(proto matrix.Proto, owner string, port string, attempts ...matrix.Attempt) matrix.AuditSocket {
		return matrix.AuditSocket{Proto: proto, Address: ap("127.0.0.1:" + port), User: owner, Verdict: matrix.Hijackable, Attempts: attempts}
	}
	for _, tc := range []struct {
		name   string
		users  []string
		socket matrix.AuditSocket
		who    string
		howHas string
	}{
		{"udp reuseaddr taken by nobody", []string{"same", "nobody"},
			sock(matrix.UDP, "root", "5353", took("same", matrix.ReuseAddr), took("nobody", matrix.ReuseAddr)), AnyUser, "confirmed: nobody's SO_REUSEADDR"},
		{"reuseport of root, nobody refused", []string{"same", "nobody"},
			sock(matrix.TCP, "root", "8080", took("same", matrix.ReusePort), refused("nobody", matrix.ReusePort)), PrivilegedOnly, "root's; confirmed"},
		{"reuseport of bind, joined as bind", []string{"same", "bind", "nobody"},
			sock(matrix.TCP, "bind", "5353", refused("same", matrix.ReusePort), took("bind", matrix.ReusePort), refused("nobody", matrix.ReusePort)), SameUser, "bind's; confirmed: bind's"},
		{"root is not another user", []string{"same", "bind", "nobody"},
			sock(matrix.UDP, "bind", "5353", took("same", matrix.ReuseAddr), refused("nobody", matrix.ReuseAddr)), SameUser, "confirmed: the auditor's"},
		{"udp reuseaddr, no other user tried", []string{"same"},
			sock(matrix.UDP, "root", "5353", took("same", matrix.ReuseAddr)), AnyUser, "derived, not confirmed"},
		{"reuseport, no other user tried", []string{"same"},
			sock(matrix.TCP, "www", "8080", took("same", matrix.ReusePort)), SameUser, "derived, not confirmed"},
		{"below 1024", []string{"same", "nobody"},
			sock(matrix.UDP, "root", "53", took("same", matrix.ReuseAddr), refused("nobody", matrix.ReuseAddr)), PrivilegedOnly, "below 1024"},
	} {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			who, how := Severity(tc.users, tc.socket)
			if who != tc.who || !strings.Contains(how, tc.howHas) {
				t.Errorf("Severity = %q (%s), want %q with %q", who, how, tc.who, tc.howHas)
			}
		})
	}
	exclusive := matrix.AuditSocket{Proto: matrix.TCP, Address: ap("127.0.0.1:8080"), Verdict: matrix.Exclusive,
		Attempts: []matrix.Attempt{refused("same", matrix.ReuseAddr)}}
	if who, how := Severity([]string{"same"}, exclusive); who != "" || how != "" {
		t.Errorf("an exclusive socket has severity %q (%s)", who, how)
	}
}
