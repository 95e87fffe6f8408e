package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// Trial writes a trial as text: each socket's observed outcome beside the
// model's prediction and the rule behind it, then one verdict line. What
// a run observed and what a model predicts are in columns of their own.
func Trial(w io.Writer, t *matrix.Trial) error {
	p := &printer{w: w}
	p.f("arrangement: %s\n", clean(t.Arrangement))
	p.f("on %s, port %d", clean(platformLine(t.Platform)), t.Port)
	if t.Witness != "" {
		p.f(", states proven by %s", clean(t.Witness))
	}
	p.f("\n\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	hasModel := t.Verdict != matrix.TrialNoModel
	header := "#\tsocket\tobserved"
	if hasModel {
		header += "\tmodel predicts\trule"
	}
	fmt.Fprintln(tw, header)
	for i, s := range t.Sockets {
		line := fmt.Sprintf("%d\t%s\t%s", i+1, clean(s.Socket), s.Observed)
		if hasModel {
			mark := ""
			if s.Observed != s.Predicted {
				mark = "  <- differs"
			}
			rule := s.Rule
			if s.Against > 0 {
				rule += fmt.Sprintf(" (socket %d)", s.Against)
			}
			if s.History {
				rule += ", history"
			}
			line += fmt.Sprintf("\t%s\t%s%s", s.Predicted, rule, mark)
		}
		fmt.Fprintln(tw, line)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	p.f("\nobserved, and how each state was proven:\n")
	for i, s := range t.Sockets {
		why := s.Evidence
		if s.Note != "" {
			why = strings.TrimPrefix(why+"; "+s.Note, "; ")
		}
		if why != "" {
			p.f("  socket %d: %s\n", i+1, clean(why))
		}
	}
	if t.LookedAgain != "" {
		p.f("  looked again: %s\n", clean(t.LookedAgain))
	}
	if t.Unreached != "" {
		p.f("unreached: %s\n", clean(t.Unreached))
	}
	p.f("predicted by the model: %s\n", clean(t.Model))
	switch t.Verdict {
	case matrix.TrialAgree:
		p.f("VERDICT: AGREE: every socket as the model predicts\n")
	case matrix.TrialDiffer:
		if t.Deviation != "" {
			p.f("explained by the documented deviation %s\n", t.Deviation)
		}
		p.f("VERDICT: DIFFER: %s\n", differing(t))
	case matrix.TrialUnreached:
		p.f("VERDICT: INCOMPLETE: a state was not proven, nothing is compared\n")
	case matrix.TrialNoModel:
		p.f("VERDICT: OBSERVED ONLY: no model to compare with\n")
	}
	return p.err
}

func differing(t *matrix.Trial) string {
	var parts []string
	for i, s := range t.Sockets {
		if s.Observed != s.Predicted {
			parts = append(parts, fmt.Sprintf("socket %d observed %s, the model predicts %s", i+1, s.Observed, s.Predicted))
		}
	}
	return strings.Join(parts, "; ")
}
