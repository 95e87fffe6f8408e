package report

import (
	"fmt"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// A group is the cells that share everything but the two options: the unit
// a person reads as a first-option × second-option grid.
type group struct{ key matrix.Cell } // a cell with both options none

func groupOf(c matrix.Cell) group {
	c.First, c.Second = matrix.None, matrix.None
	return group{c}
}

func (g group) title() string {
	c := g.key
	first, second := c.FirstAddr.String(), c.SecondAddr.String()
	if c.Family.Mixed() {
		first = fmt.Sprintf("%s %s (%s)", c.FirstFamily, first, matrix.CellAddr(c.FirstFamily, c.FirstAddr))
		second = fmt.Sprintf("%s %s (%s)", c.SecondFamily, second, matrix.CellAddr(c.SecondFamily, c.SecondAddr))
	}
	title := fmt.Sprintf("%s %s %s: first %s, second %s", c.Proto, c.Family, c.State, first, second)
	if c.Process != matrix.SameProcess {
		title += fmt.Sprintf(" (second socket: %s process)", c.Process)
	}
	return title
}

func (g group) cell(first, second matrix.Option) matrix.Cell {
	c := g.key
	c.First, c.Second = first, second
	return c
}

// grid is a group's cells laid out by option, each holding a short text.
type grid struct {
	group  group
	firsts []matrix.Option // rows
	second []matrix.Option // columns
	text   map[matrix.Cell]string
}

// grids lays out cells in groups, in canonical order, keeping only the
// options that occur so that a filtered run prints a small grid.
func grids(cells []matrix.Cell, text func(matrix.Cell) string) []grid {
	var out []grid
	index := map[group]int{}
	sorted := append([]matrix.Cell(nil), cells...)
	matrix.SortCells(sorted)
	for _, c := range sorted {
		g := groupOf(c)
		i, ok := index[g]
		if !ok {
			i = len(out)
			index[g] = i
			out = append(out, grid{group: g, text: map[matrix.Cell]string{}})
		}
		out[i].text[c] = text(c)
	}
	for i := range out {
		rows, cols := map[matrix.Option]bool{}, map[matrix.Option]bool{}
		for c := range out[i].text {
			rows[c.First], cols[c.Second] = true, true
		}
		for _, o := range matrix.Options() {
			if rows[o] {
				out[i].firsts = append(out[i].firsts, o)
			}
			if cols[o] {
				out[i].second = append(out[i].second, o)
			}
		}
	}
	return out
}

// at is the text of a grid position; absent cells read "-".
func (g grid) at(first, second matrix.Option) string {
	if t, ok := g.text[g.group.cell(first, second)]; ok {
		return t
	}
	return "-"
}

// observationGrids lays out an observation's cells, each showing its
// outcome and delivery: what the text and Markdown renderings print.
func observationGrids(obs *matrix.Observation) []grid {
	byCell := map[matrix.Cell]matrix.Result{}
	var cells []matrix.Cell
	for _, r := range obs.Cells {
		byCell[r.Cell] = r
		cells = append(cells, r.Cell)
	}
	return grids(cells, func(c matrix.Cell) string { return resultText(byCell[c]) })
}
