package child

import (
	"net/netip"
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// TestSmallPipesNeverDeadlock shrinks the helper's pipes to one page, the
// least a pipe may hold (Windows documents no default size), and sends far
// more attempts than fit before reading any answer: the bound on requests
// in flight must keep the helper from blocking on answers while the parent
// blocks on requests.
func TestSmallPipesNeverDeadlock(t *testing.T) {
	h := startHelper(t, SameUser)
	for _, f := range []*os.File{h.pipe.(*os.File), h.out} {
		if _, err := unix.FcntlInt(f.Fd(), unix.F_SETPIPE_SZ, 4096); err != nil {
			t.Fatalf("shrinking a pipe: %v", err)
		}
	}
	_, busy := listener(t, matrix.None)
	free := netip.AddrPortFrom(busy.Addr(), 0)
	var pending []Pending
	for range 400 {
		pending = append(pending, h.Begin(matrix.SockIPv4, matrix.UDP, matrix.None, free))
	}
	for i, p := range pending {
		s, _, _, err := p.Wait()
		if err != nil {
			t.Fatalf("attempt %d: %v", i, err)
		}
		if err := s.CloseLater(); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Settle(); err != nil {
		t.Fatal(err)
	}
}
