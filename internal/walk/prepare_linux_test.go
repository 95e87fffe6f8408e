package walk_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/bindmatrix/bindmatrix/internal/ports"
	"github.com/bindmatrix/bindmatrix/internal/socktable"
	"github.com/bindmatrix/bindmatrix/internal/testenv"
	"github.com/bindmatrix/bindmatrix/internal/walk"
	"github.com/bindmatrix/bindmatrix/internal/witness"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// TestPrepareLeavesTheProofToProve: with a witness that reads whole tables,
// a connection's state is proven by Prove from tables read after Prepare,
// never before; tables that lack the connection prove no established state,
// and a TIME_WAIT entry missing from them is looked for again.
func TestPrepareLeavesTheProofToProve(t *testing.T) {
	diag, err := witness.OpenSockDiag()
	if err != nil {
		t.Skipf("skipped: no sock_diag here (%v)", err)
	}
	defer diag.Close()
	w := &testenv.WholeTables{SockDiag: diag}
	book := ports.NewBook()
	defer book.Close()
	prepare := func(state matrix.State) *walk.Held {
		port, err := book.Take(matrix.TCP)
		if err != nil {
			t.Fatal(err)
		}
		h, err := walk.Prepare(walk.Spec{Proto: matrix.TCP, Family: matrix.SockIPv4, Addr: matrix.Specific, State: state}, port, w)
		if err != nil {
			t.Fatalf("%s: %v", state, err)
		}
		t.Cleanup(func() { book.Release(port, h.Release()) })
		if !h.Pending() || h.Evidence != "" {
			t.Fatalf("%s: pending %v, evidence %q before Prove", state, h.Pending(), h.Evidence)
		}
		return h
	}
	for _, state := range []matrix.State{matrix.Established, matrix.TimeWait} {
		h := prepare(state)
		tables, err := w.Snapshot(netip.AddrPort{})
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Prove(tables); err != nil || h.Pending() || !strings.Contains(h.Evidence, proofOf[state]) {
			t.Errorf("%s: Prove: %v, pending %v, evidence %q", state, err, h.Pending(), h.Evidence)
		}
	}
	if err := prepare(matrix.Established).Prove([]socktable.Entry{}); err == nil {
		t.Error("established proven from tables without the connection")
	}
	h := prepare(matrix.TimeWait)
	if err := h.Prove([]socktable.Entry{}); err != nil || !strings.Contains(h.Evidence, "TIME_WAIT") {
		t.Errorf("time_wait, missing from the tables: %v, evidence %q, want it looked for again", err, h.Evidence)
	}
	// Where each question is cheap, Prepare proves at once.
	port, _ := book.Take(matrix.TCP)
	now, err := walk.Prepare(walk.Spec{Proto: matrix.TCP, Family: matrix.SockIPv4, Addr: matrix.Specific, State: matrix.Established}, port, diag)
	if err != nil || now.Pending() || !strings.Contains(now.Evidence, "ESTABLISHED") {
		t.Errorf("with sock_diag: %v, pending %v, evidence %q", err, now.Pending(), now.Evidence)
	}
	if now != nil {
		book.Release(port, now.Release())
	}
}
