package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/bindmatrix/bindmatrix/internal/model"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// explainCell names the documented deviations (internal/model) whose
// quirk predicts a cell's observed outcome on kernel release.
func explainCell(release string) func(matrix.Result) []string {
	return func(r matrix.Result) []string {
		if r.Outcome == matrix.Unreached || r.Outcome == matrix.Unsupported {
			return nil
		}
		d, ok := model.Explains(r.Cell.Arrangement(), []matrix.Outcome{matrix.OK, r.Outcome}, release)
		if !ok {
			return nil
		}
		return []string{d.Name}
	}
}

// commonGround says what a set of differing cells have in common: each
// field with one value among them, then each with a few, then the
// deviations that explain them and how many no deviation explains.
func commonGround(diffs []matrix.Difference, release string) string {
	if len(diffs) == 0 {
		return ""
	}
	cells := make([]matrix.Cell, len(diffs))
	for i, d := range diffs {
		cells[i] = d.Cell
	}
	var same, some []string
	for _, f := range matrix.FieldNames() {
		if f == "delivery" {
			continue
		}
		var values []string
		for _, c := range cells {
			if v := matrix.FieldValue(c, f); !slices.Contains(values, v) {
				values = append(values, v)
			}
		}
		switch {
		case len(values) == 1:
			same = append(same, f+"="+values[0])
		case len(values) <= 3:
			some = append(some, f+" in {"+strings.Join(values, ", ")+"}")
		}
	}
	text := fmt.Sprintf("%d cells differ", len(diffs))
	if len(same) > 0 {
		text += "; all have " + strings.Join(same, " ")
	}
	if len(some) > 0 {
		text += "; " + strings.Join(some, "; ")
	}
	explained, by := 0, map[string]int{}
	var names []string
	for _, d := range diffs {
		for _, n := range explainCell(release)(d.Result) {
			if by[n] == 0 {
				names = append(names, n)
			}
			by[n]++
			explained++
		}
	}
	for _, n := range names {
		dev, _ := model.DeviationNamed(n)
		text += fmt.Sprintf("; %d explained by deviation %s (%s; fix: %s)", by[n], n, dev.Arrangement, dev.Fix)
	}
	if explained < len(diffs) {
		text += fmt.Sprintf("; %d explained by no documented deviation", len(diffs)-explained)
	}
	return text
}
