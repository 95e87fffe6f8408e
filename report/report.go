// Package report renders observations and comparisons for people and for
// machines: text for terminals, Markdown for CI summaries and docs, JSON and
// JUnit for tools. It decides nothing; package matrix does the comparing.
package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// Renderer writes one rendering of observations, comparisons and audits.
type Renderer interface {
	Observation(w io.Writer, obs *matrix.Observation) error
	Comparison(w io.Writer, c *matrix.Comparison) error
	Audit(w io.Writer, a *matrix.Audit) error
}

// Formats lists the renderers New knows, in the order -h shows them.
var Formats = []string{"text", "json", "markdown", "junit"}

// New returns the renderer called name.
func New(name string) (Renderer, error) {
	switch name {
	case "text":
		return text{}, nil
	case "json":
		return jsonRenderer{}, nil
	case "markdown":
		return markdown{}, nil
	case "junit":
		return junit{}, nil
	}
	return nil, fmt.Errorf("unknown format %q (valid: %s)", name, strings.Join(Formats, ", "))
}
