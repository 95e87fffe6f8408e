package runner

import (
	"context"
	"os"
	"testing"

	"github.com/bindmatrix/bindmatrix/internal/child"
	"github.com/bindmatrix/bindmatrix/internal/host"
	"github.com/bindmatrix/bindmatrix/internal/ports"
	"github.com/bindmatrix/bindmatrix/internal/reexec"
	"github.com/bindmatrix/bindmatrix/internal/sock"
	"github.com/bindmatrix/bindmatrix/matrix"
)

func TestMain(m *testing.M) {
	reexec.Main(child.Role) // other-process cells start this test binary as their helper
	os.Exit(m.Run())
}

// testWorker is a worker of its own, closed when the test ends.
func testWorker(tb testing.TB) *worker {
	w := newWorker(ports.NewBook(), nil)
	tb.Cleanup(w.close)
	return w
}

// TestMatrix runs every cell on this machine and holds each to the checked-in
// expected table for this platform: one subtest per cell, so gotestsum and
// JUnit list each cell, and `go test -run 'TestMatrix/tcp/ipv4/time_wait'`
// picks some.
func TestMatrix(t *testing.T) {
	platform := host.Platform()
	table, err := matrix.LoadTable(os.DirFS("../../matrix/expected"), "matrix/expected", platform.Name)
	if err != nil {
		t.Fatalf("expected table for %s: %v", platform.Name, err)
	}
	cells := matrix.AllCellsOn(platform.Name)
	obs := Run(context.Background(), cells, Options{})
	if len(obs.Cells) != len(cells) {
		t.Fatalf("run returned %d cells, want %d", len(obs.Cells), len(cells))
	}
	for _, r := range obs.Cells {
		t.Run(r.Cell.Name(), func(t *testing.T) {
			want, ok := table.Entries[r.Cell]
			switch {
			case !ok:
				t.Skipf("%s does not cover this cell (its scope: %s); observed %s", table.File, table.Scope, r.Outcome)
			case r.Outcome == matrix.Unreached:
				t.Fatalf("unreached: %s", r.Note)
			case r.Witness == "":
				t.Errorf("outcome %s has no witness", r.Outcome)
			case want.Outcome == matrix.Unknown:
				t.Skipf("%s:%d documents no expectation (%s); observed %s", table.File, want.Line, want.Comment, r.Outcome)
			}
			if r.Outcome != want.Outcome {
				t.Errorf("observed %s, expected %s (%s:%d); witness: %s", r.Outcome, want.Outcome, table.File, want.Line, r.Witness)
			}
			if want.Delivery != "" && r.Delivery != want.Delivery {
				t.Errorf("traffic went to %q, expected %q (%s:%d); %s", r.Delivery, want.Delivery, table.File, want.Line, r.Note)
			}
		})
	}
}

func TestUnsupportedOptionIsNotAttempted(t *testing.T) {
	w := testWorker(t)
	for _, o := range matrix.Options() {
		if sock.OptionExists(o) {
			continue
		}
		c := matrix.NewCell(matrix.TCP, matrix.IPv4, matrix.Listening, matrix.Specific, matrix.Specific, o, matrix.None)
		r := w.runCell(c)
		if r.Outcome != matrix.Unsupported || r.Note == "" {
			t.Errorf("%s: outcome %s note %q, want unsupported with a reason", c, r.Outcome, r.Note)
		}
	}
}
