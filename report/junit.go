package report

import (
	"encoding/xml"
	"fmt"
	"io"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// junit renders each cell as a test case, so CI systems show a differing
// cell as a failed test with expected and observed side by side.
type junit struct{}

type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

func (junit) Observation(w io.Writer, obs *matrix.Observation) error {
	suite := junitSuite{Name: "bindmatrix." + obs.Platform.Name}
	for _, r := range obs.Cells {
		tc := junitCase{Name: r.Cell.Name(), Classname: suite.Name, SystemOut: fmt.Sprintf("outcome %s; witness: %s", resultText(r), r.Witness)}
		if r.Outcome == matrix.Unreached {
			tc.Skipped = &junitMessage{Message: "unreached: " + r.Note}
			suite.Skipped++
		}
		suite.Cases = append(suite.Cases, tc)
	}
	return writeJUnit(w, suite)
}

func (junit) Comparison(w io.Writer, c *matrix.Comparison) error {
	suite := junitSuite{Name: "bindmatrix." + c.Platform.Name}
	differs := map[matrix.Cell]matrix.Difference{}
	for _, d := range c.Differences {
		differs[d.Cell] = d
	}
	for _, r := range c.Observed {
		tc := junitCase{Name: r.Cell.Name(), Classname: suite.Name, SystemOut: fmt.Sprintf("outcome %s; witness: %s", resultText(r), r.Witness)}
		if d, ok := differs[r.Cell]; ok {
			msg := fmt.Sprintf("expected %s, observed %s", expectedText(d.Expected), resultText(d.Result))
			tc.Failure = &junitMessage{Message: msg, Text: differenceLine(c, d)}
			suite.Failures++
		} else if r.Outcome == matrix.Unreached {
			tc.Skipped = &junitMessage{Message: "unreached: " + r.Note}
			suite.Skipped++
		}
		suite.Cases = append(suite.Cases, tc)
	}
	return writeJUnit(w, suite)
}

func writeJUnit(w io.Writer, suite junitSuite) error {
	suite.Tests = len(suite.Cases)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(junitSuites{Suites: []junitSuite{suite}}); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
