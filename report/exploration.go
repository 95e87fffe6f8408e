package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// Exploration writes an exploration as text: the counts, the mix of
// states, each disagreement as the smallest arrangement that shows it
// and the try command that runs it again, then one verdict line.
func Exploration(w io.Writer, e *matrix.Exploration) error {
	p := &printer{w: w}
	p.f("explored on %s: seed %d, %d arrangements (%d systematic, then random up to %d sockets), states proven by %s\n",
		clean(platformLine(e.Platform)), e.Seed, e.N, e.Systematic, e.MaxSockets, clean(e.Witness))
	p.f("%s\n", e)
	var states []string
	for _, s := range matrix.States() {
		if c := e.States[s.String()]; c > 0 {
			states = append(states, fmt.Sprintf("%s %d", s, c))
		}
	}
	p.f("sockets by state: %s; %.1f s, %.0f µs an arrangement\n", strings.Join(states, ", "), e.Seconds, 1e6*e.Seconds/float64(max(1, e.Checked+e.Unreached)))
	for _, f := range e.Findings {
		p.f("\nDIFFERS (%d found): %s\n  socket %d observed %s, the model predicts %s (%s", f.Count, clean(f.Arrangement), f.Socket, f.Observed, f.Predicted, clean(f.Rule))
		if f.History {
			p.f(", from the bind bucket's memory")
		}
		p.f(")\n")
		switch {
		case f.Known:
			p.f("  known deviation %s, seen on this kernel before (docs/arrangements.md)\n", clean(f.Deviation))
		case f.Deviation != "":
			p.f("  what deviation %s predicts, never seen on this kernel before (docs/arrangements.md)\n", clean(f.Deviation))
		default:
			p.f("  no known deviation explains it\n")
		}
		p.f("  found as arrangement %d: %s\n  again: bindmatrix try '%s'\n", f.Index, clean(f.Found), clean(f.Arrangement))
	}
	switch e.Verdict {
	case matrix.TrialAgree:
		p.f("VERDICT: AGREE: no arrangement disagrees with the model\n")
	case matrix.TrialDiffer:
		p.f("VERDICT: DIFFER: %d smallest arrangements disagree with the model\n", len(e.Findings))
	case matrix.TrialKnown:
		p.f("VERDICT: KNOWN: every disagreement is a deviation seen on this kernel before\n")
	default:
		p.f("VERDICT: INCOMPLETE: no arrangement could be compared\n")
	}
	return p.err
}
