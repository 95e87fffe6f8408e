package deliver_test

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bindmatrix/bindmatrix/internal/deliver"
	"github.com/bindmatrix/bindmatrix/internal/testenv"
	"github.com/bindmatrix/bindmatrix/internal/witness"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// TestDeferredAcceptIsCounted: a listener with TCP_DEFER_ACCEPT (Apache's
// default AcceptFilter) keeps connections that send nothing in SYN_RECV,
// so the count was never proven complete and each check waited out its
// 2 s patience. A connection the witness shows waiting for data gets a
// byte, and every one is counted.
func TestDeferredAcceptIsCounted(t *testing.T) {
	w, err := witness.Open(witness.Best)
	testenv.Need(t, err == nil, "a witness of TCP states (sock_diag or /proc)", "run on Linux with /proc or NETLINK_SOCK_DIAG")
	defer w.Close()
	r, _ := receiver(t, matrix.TCP)
	if err := unix.SetsockoptInt(r.FD(), unix.IPPROTO_TCP, unix.TCP_DEFER_ACCEPT, 30); err != nil {
		t.Fatal(err)
	}
	addr, _ := r.LocalAddr()
	tally, err := deliver.Run(deliver.Plan{Proto: matrix.TCP, To: addr, Max: 8, Round: 8, Unseen: true, Witness: w}, r)
	if err != nil {
		t.Fatal(err)
	}
	if !tally.Complete || tally.Sent != 8 || tally.Received[0] != 8 {
		t.Errorf("%+v, want 8 sent, 8 counted, complete", tally)
	}
}
