package runner

import (
	"strings"
	"testing"

	"github.com/bindmatrix/bindmatrix/internal/testenv"
	"github.com/bindmatrix/bindmatrix/internal/witness"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// TestABatchLooksAgainInOneRead: where the witness reads whole tables, a
// batch proves its connections' states in one read begun after the last
// was prepared, and looks again at all of them in one read begun after the
// last second socket's answer; the answers are those of each cell alone,
// and a state gone before that read is still caught.
func TestABatchLooksAgainInOneRead(t *testing.T) {
	diag, err := witness.OpenSockDiag()
	if err != nil {
		t.Skipf("skipped: no sock_diag here (%v)", err)
	}
	defer diag.Close()
	w := testWorker(t)
	tables := &testenv.WholeTables{SockDiag: diag}
	w.witness = tables
	f, _ := matrix.ParseFilter("proto=tcp,family=ipv4,first_addr=specific,second_addr=specific,state=time_wait,state=established,first=none,first=SO_REUSEADDR,second=none,second=SO_REUSEADDR,second=SO_REUSEPORT,process=same,process=other")
	cells := f.Cells()
	trials := make([]*trial, len(cells))
	var victim *trial
	for i, c := range cells {
		trials[i] = w.prepare(c)
		if trials[i].over || !trials[i].first.Pending() {
			t.Fatalf("%s: prepared %v, pending %v: %s", c, !trials[i].over, trials[i].first.Pending(), trials[i].result.Note)
		}
		if victim == nil && c.State == matrix.TimeWait {
			victim = trials[i]
		}
	}
	before := tables.Reads.Load()
	w.prove(trials)
	if reads := tables.Reads.Load() - before; reads != 1 {
		t.Errorf("the batch of %d cells read the tables %d times to prove its states, want once", len(cells), reads)
	}
	// As try does: every attempt asked, then every answer read.
	for _, tr := range trials {
		w.attempt(tr)
	}
	for _, tr := range trials {
		w.answer(tr)
		if tr.err != nil || tr.over {
			t.Fatalf("%s: %v %s", tr.result.Cell, tr.err, tr.result.Note)
		}
	}
	// The victim's TIME_WAIT entry goes before the batch looks again.
	conn := victim.first.Connection
	e, found, err := diag.Lookup(conn.Local, conn.Remote)
	if err != nil || !found {
		t.Fatalf("the victim's entry: %v %v", found, err)
	}
	if err := diag.DestroyOwnTimeWait(e); err != nil {
		t.Skipf("skipped: removing a TIME_WAIT entry needs CAP_NET_ADMIN (%v)", err)
	}
	before = tables.Reads.Load()
	after := w.tablesAfter(trials)
	for _, tr := range trials {
		w.finish(tr, after)
	}
	w.end(trials)
	if reads := tables.Reads.Load() - before; reads != 1 {
		t.Errorf("the batch of %d cells read the tables %d times to look again, want once", len(cells), reads)
	}
	if r := victim.result; r.Outcome != matrix.Unreached || !strings.Contains(r.Note, "was gone") {
		t.Errorf("%s, its entry destroyed: %s (%s), want unreached saying the state did not hold", r.Cell, r.Outcome, r.Note)
	}
	w.witness = diag
	for _, tr := range trials {
		if tr == victim {
			continue
		}
		c := tr.result.Cell
		if alone := w.runCell(c); tr.result.Outcome != alone.Outcome {
			t.Errorf("%s: together %s (%s), alone %s (%s)", c, tr.result.Outcome, tr.result.Note, alone.Outcome, alone.Note)
		}
	}
}
