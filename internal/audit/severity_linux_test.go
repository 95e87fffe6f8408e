package audit

import (
	"os"
	"os/user"
	"strconv"
	"strings"
	"testing"

	"github.com/bindmatrix/bindmatrix/internal/inventory"
	"github.com/bindmatrix/bindmatrix/internal/sock"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// TestWhoCanTakeItIsShownAsNobody: this process's own sockets, audited
// with their owner known. A UDP socket with SO_REUSEADDR can be taken by
// any user on Linux; a SO_REUSEPORT listener only by its creator's uid. As
// root the audit shows it: it makes the takeovers again as nobody, who
// takes the UDP socket's datagrams and is refused the group. As another
// user it says what the rules give, and that it could not confirm it.
func TestWhoCanTakeItIsShownAsNobody(t *testing.T) {
	me := os.Geteuid()
	name := strconv.Itoa(me)
	if u, err := user.LookupId(name); err == nil {
		name = u.Username
	}
	for _, tc := range []struct {
		proto     matrix.Proto
		opt       matrix.Option
		asRoot    matrix.Who // who, confirmed, when the test runs as root
		otherwise matrix.Who // who, not confirmed, as any other user
	}{
		{matrix.UDP, matrix.ReuseAddr, matrix.WhoAnyUser, matrix.WhoAnyUser},
		{matrix.TCP, matrix.ReusePort, matrix.WhoPrivileged, matrix.WhoSameUser},
	} {
		t.Run(tc.proto.String()+"/"+tc.opt.String(), func(t *testing.T) {
			at, _ := bound(t, tc.proto, tc.opt, sock.Addr(matrix.SockIPv4, matrix.Specific, 0)).LocalAddr()
			s := inventory.Socket{Proto: tc.proto, Local: at, Family: matrix.SockIPv4, PIDs: []int{os.Getpid()}, UID: me, User: name, Command: "this test"}
			a, err := Sockets([]inventory.Socket{s}, Options{Deliver: true})
			if err != nil {
				t.Fatal(err)
			}
			got := a.Sockets[0]
			e := got.Exposure
			if got.Verdict != matrix.Hijackable || e == nil {
				t.Fatalf("verdict %s, exposure %+v; want hijackable with an exposure", got.Verdict, e)
			}
			t.Logf("who: %s (derived %s: %s); %s: %s", e.Who, e.Derived, e.Why, e.Check, e.Checked)
			if me != 0 {
				if e.Who != tc.otherwise || e.Check != matrix.NotConfirmed || !strings.Contains(e.Checked, "only root") {
					t.Errorf("as uid %d: %s, %s (%s); want %s, not confirmed, saying only root can confirm", me, e.Who, e.Check, e.Checked, tc.otherwise)
				}
				return
			}
			if e.Who != tc.asRoot || e.Check != matrix.Confirmed || !strings.Contains(e.Checked, "as nobody") {
				t.Errorf("as root: %s, %s (%s); want %s, confirmed as nobody", e.Who, e.Check, e.Checked, tc.asRoot)
			}
			byNobody := 0
			for _, att := range got.Attempts {
				if att.User == Stranger {
					byNobody++
					if (tc.asRoot == matrix.WhoAnyUser) != att.Took() {
						t.Errorf("as nobody: %s %s %s %+v", att.Address, att.Option, att.Outcome, att.Delivery)
					}
				}
			}
			if byNobody == 0 {
				t.Errorf("no attempt ran as nobody")
			}
		})
	}
}
