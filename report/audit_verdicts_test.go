package report

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// TestAuditTextSaysWhatWasAudited: the text names the window the
// command's sockets were stable for, the kernel sockets audited, a
// vanished socket, how a socket was judged where no attempt bound beside
// it, and what a bound-only attempt's listening would do (issue 21).
func TestAuditTextSaysWhatWasAudited(t *testing.T) {
	ap := netip.MustParseAddrPort
	a := &matrix.Audit{Schema: matrix.AuditSchema, Platform: matrix.Platform{Name: "linux"},
		Target: matrix.AuditTarget{Port: 80, Proto: "tcp", Settle: "500ms"},
		Sockets: []matrix.AuditSocket{
			{Proto: matrix.TCP, Address: ap("127.0.0.1:80"), Family: matrix.SockIPv4, Verdict: matrix.Hijackable, Inodes: []uint64{11, 12},
				Attempts: []matrix.Attempt{{Address: ap("127.0.0.1:80"), Family: matrix.SockIPv4, Option: matrix.ReusePort, User: "same",
					Outcome: matrix.OK, BoundOnly: true, Note: "bound, not listening: listening would join"}}},
			{Proto: matrix.UDP, Address: ap("127.0.0.1:53"), Family: matrix.SockIPv4, Verdict: matrix.SocketUnreached, Judged: "not attempted: options unread",
				Attempts: []matrix.Attempt{}},
			{Proto: matrix.UDP, Address: ap("127.0.0.1:5353"), Family: matrix.SockIPv4, Verdict: matrix.SocketVanished, Inodes: []uint64{13},
				Note: "it closed during the attempts", Attempts: []matrix.Attempt{}},
		}}
	a.Conclude()
	var b bytes.Buffer
	if err := (text{}).Audit(&b, a); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"unchanged for 500ms", "2 sockets, inodes 11, 12", "socket inode 13", "VANISHED",
		"judged: not attempted: options unread", "ok, bound, not listening: listening would join"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the text lacks %q:\n%s", want, b.String())
		}
	}
}

// TestSteeredAndBoundOnlyAttemptsAreListedApart: an attempt that joined a
// steered group got none of the traffic, yet could take all of it; one
// that bound without listening has no count, and says what listening
// would do. Neither is "received none" nor "delivery not measured".
func TestSteeredAndBoundOnlyAttemptsAreListedApart(t *testing.T) {
	ap := netip.MustParseAddrPort
	steered := matrix.Attempt{Address: ap("127.0.0.1:80"), Family: matrix.SockIPv4, Option: matrix.ReusePort, User: "same",
		Outcome: matrix.OK, Steered: true, Delivery: &matrix.AttemptDelivery{Sent: 128}}
	boundOnly := matrix.Attempt{Address: ap("127.0.0.1:81"), Family: matrix.SockIPv4, Option: matrix.ReusePort, User: "same",
		Outcome: matrix.OK, BoundOnly: true, Note: "bound, not listening (-deliver listens): listening would join"}
	a := &matrix.Audit{Schema: matrix.AuditSchema, Platform: matrix.Platform{Name: "linux"}, Target: matrix.AuditTarget{Port: 80, Proto: "tcp"},
		Sockets: []matrix.AuditSocket{
			{Proto: matrix.TCP, Address: ap("127.0.0.1:80"), Family: matrix.SockIPv4, Verdict: matrix.Hijackable, Attempts: []matrix.Attempt{steered}},
			{Proto: matrix.TCP, Address: ap("127.0.0.1:81"), Family: matrix.SockIPv4, Verdict: matrix.Hijackable, Attempts: []matrix.Attempt{boundOnly}},
		}}
	a.Conclude()
	var b bytes.Buffer
	if err := (text{}).Audit(&b, a); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"joined a SO_REUSEPORT group a program steers", "bound without listening",
		"ok, bound, not listening (-deliver listens): listening would join"} {
		if !strings.Contains(out, want) {
			t.Errorf("the text lacks %q:\n%s", want, out)
		}
	}
	for _, not := range []string{"received none of the test traffic", "delivery not measured"} {
		if strings.Contains(out, not) {
			t.Errorf("the text says %q:\n%s", not, out)
		}
	}
}
