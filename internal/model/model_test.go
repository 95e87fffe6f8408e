package model

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// cellOutcome is the model's answer to a matrix cell: the second socket's
// outcome, or unsupported when the first socket could not be made.
func cellOutcome(c matrix.Cell) (matrix.Outcome, Step) {
	steps := Predict(c.Arrangement())
	if first := steps[0]; first.Outcome != matrix.OK {
		return matrix.Unsupported, first
	}
	return steps[1].Outcome, steps[1]
}

// TestModelAgreesWithLinuxTable: the model predicts every cell of the
// Linux table (21504 cells, cross-family and other-user ones included,
// observed on 6.18 and agreed by 5.10 and 6.12).
func TestModelAgreesWithLinuxTable(t *testing.T) {
	table, err := matrix.LoadTable(os.DirFS("../../matrix/expected"), "matrix/expected", "linux")
	if err != nil {
		t.Fatal(err)
	}
	var wrong []string
	used := map[string]int{}
	for _, c := range table.Cells() {
		want := table.Entries[c].Outcome
		got, step := cellOutcome(c)
		used[step.Rule.ID]++
		if got != want {
			wrong = append(wrong, fmt.Sprintf("%s: model %s (%s), table %s", c, got, step.Rule.ID, want))
		}
	}
	if len(wrong) > 0 {
		t.Errorf("%d of %d cells differ:\n%s", len(wrong), len(table.Cells()), strings.Join(wrong[:min(len(wrong), 40)], "\n"))
	}
	t.Logf("rules deciding the %d cells: %v", len(table.Cells()), used)
}
