package audit

import (
	"context"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/bindmatrix/bindmatrix/internal/host"
	"github.com/bindmatrix/bindmatrix/internal/sock"
	"github.com/bindmatrix/bindmatrix/internal/testenv"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// TestAPrivilegedPortJudgedOnAReplicaIsNotConfirmed: without -deliver a
// UDP socket of a server the audit did not start is judged on a replica on
// a clean port, which needs no privilege. Attempts as nobody there took
// the replica's datagrams, and "who can take it" came out any-user,
// contradicting the rule for a port below the threshold (privileged only).
// The port's privilege is not what a replica can show: it stays derived,
// not confirmed, and says why.
func TestAPrivilegedPortJudgedOnAReplicaIsNotConfirmed(t *testing.T) {
	testenv.Need(t, os.Geteuid() == 0, "root (a socket on a privileged port)", "run the tests as root")
	start, _ := host.UnprivilegedPortStart()
	testenv.Need(t, start > 1, "a privileged port range (net.ipv4.ip_unprivileged_port_start > 1)", "restore the sysctl's default of 1024")
	var s sock.Socket
	var at netip.AddrPort
	for p := start - 1; p > 0 && !at.IsValid(); p-- {
		try := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(p))
		got, outcome, _, err := sock.Attempt(matrix.SockIPv4, matrix.UDP, matrix.ReuseAddr, try)
		if err == nil && outcome == matrix.OK {
			s, at = got, try
		} else {
			got.Close()
		}
	}
	if !at.IsValid() {
		t.Fatalf("no UDP port below %d is free on 127.0.0.1", start)
	}
	defer s.Close()
	a, err := Run(context.Background(), Request{Port: at.Port(), Proto: matrix.UDP})
	if err != nil {
		t.Fatal(err)
	}
	got := a.Sockets[0]
	e := got.Exposure
	if got.Verdict != matrix.Hijackable || !strings.Contains(got.Judged, "replica") || e == nil {
		t.Fatalf("verdict %s, judged %q, exposure %+v; want hijackable, judged on a replica", got.Verdict, got.Judged, e)
	}
	if e.Who != matrix.WhoPrivileged || e.Check != matrix.NotConfirmed || !strings.Contains(e.Checked, "replica") {
		t.Errorf("who %s, %s (%s); want privileged, not confirmed on a replica", e.Who, e.Check, e.Checked)
	}
}
