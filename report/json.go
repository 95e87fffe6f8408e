package report

import (
	"encoding/json"
	"io"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// jsonRenderer writes observations as the schema-1 document and comparisons
// as a summary with every difference spelled out.
type jsonRenderer struct{}

func (jsonRenderer) Observation(w io.Writer, obs *matrix.Observation) error { return obs.Encode(w) }

type comparisonJSON struct {
	Platform    matrix.Platform  `json:"platform"`
	Expected    string           `json:"expected"`
	Verdict     string           `json:"verdict"`
	Compared    int              `json:"compared"`
	Agree       int              `json:"agree"`
	Differences []differenceJSON `json:"differences"`
	Unreached   []matrix.Result  `json:"unreached"`
	Unknown     []matrix.Result  `json:"unknown"`
}

type differenceJSON struct {
	Cell     string        `json:"cell"`
	Expected string        `json:"expected"`
	File     string        `json:"file,omitempty"` // where the expected outcome came from, when not the table itself
	Line     int           `json:"line,omitempty"`
	Observed matrix.Result `json:"observed"`
}

var verdictNames = map[matrix.Verdict]string{matrix.Agree: "agree", matrix.Differ: "differ", matrix.Incomplete: "incomplete"}

func (jsonRenderer) Comparison(w io.Writer, c *matrix.Comparison) error {
	out := comparisonJSON{
		Platform: c.Platform, Expected: c.Table.File, Verdict: verdictNames[c.Verdict()],
		Compared: c.Compared, Agree: c.Agree,
		Differences: []differenceJSON{}, Unreached: c.Unreached, Unknown: c.Unknown,
	}
	for _, d := range c.Differences {
		out.Differences = append(out.Differences, differenceJSON{
			Cell: d.Cell.Name(), Expected: string(d.Expected.Outcome), File: d.Expected.File, Line: d.Expected.Line, Observed: d.Result,
		})
	}
	if out.Unreached == nil {
		out.Unreached = []matrix.Result{}
	}
	if out.Unknown == nil {
		out.Unknown = []matrix.Result{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}
