package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// The renderings of an audit: what was audited, each socket's verdict with
// the attempts that took (or could take) its traffic, the fix, and the
// restart check.

func (text) Audit(w io.Writer, a *matrix.Audit) error {
	p := &printer{w: w}
	p.f("audit of %s on %s\n", targetLine(a.Target), platformLine(a.Platform))
	for _, s := range a.Sockets {
		p.f("\n%s\n", socketLine(s))
		took, quiet, refused := sortAttempts(s.Attempts)
		if len(took) > 0 {
			p.f("  took, or could take, its traffic:\n")
			for _, at := range took {
				p.f("    %s\n", attemptLine(at))
			}
		}
		if len(quiet) > 0 {
			p.f("  bound, but received none of the test traffic:\n")
			for _, at := range quiet {
				p.f("    %s\n", attemptLine(at))
			}
		}
		if len(refused) > 0 {
			p.f("  refused: %s\n", outcomeCounts(refused))
		}
		for i, at := range unmade(s.Attempts) {
			if i == 0 {
				p.f("  could not be made:\n")
			}
			p.f("    %s\n", attemptLine(at))
		}
		if s.Fix != "" {
			p.f("  fix: %s\n", clean(s.Fix))
		}
		if s.Note != "" {
			p.f("  note: %s\n", clean(s.Note))
		}
	}
	if r := a.Restart; r != nil {
		p.f("\n%s\n", restartLine(r))
		if r.Output != "" {
			p.f("  its output ends:\n    %s\n", cleanLines(r.Output, "    "))
		}
	}
	if a.Note != "" {
		p.f("\nnote: %s\n", clean(a.Note))
	}
	p.f("\n%s\n", auditVerdictLine(a))
	return p.err
}

func (markdown) Audit(w io.Writer, a *matrix.Audit) error {
	p := &printer{w: w}
	p.f("## bindmatrix audit of %s\n\n", mdEscape(targetLine(a.Target)))
	p.f("**%s**\n\n%s.\n", auditVerdictLine(a), mdEscape(platformLine(a.Platform)))
	for _, s := range a.Sockets {
		p.f("\n### %s\n\n", mdEscape(socketLine(s)))
		if s.Fix != "" {
			p.f("**Fix:** %s\n\n", mdEscape(s.Fix))
		}
		if s.Note != "" {
			p.f("Note: %s\n\n", mdEscape(s.Note))
		}
		p.f("| address | family | option | user | outcome | delivery |\n|---|---|---|---|---|---|\n")
		for _, at := range s.Attempts {
			p.f("| %s | %s | %s | %s | %s | %s |\n", at.Address, at.Family, at.Option, mdEscape(at.User), at.Outcome, mdEscape(deliveryText(at)))
		}
	}
	if r := a.Restart; r != nil {
		p.f("\n### Restart\n\n%s\n", mdEscape(restartLine(r)))
		if r.Output != "" {
			p.f("\n```\n    %s\n```\n", cleanLines(strings.ReplaceAll(r.Output, "```", "'''"), "    "))
		}
	}
	if a.Note != "" {
		p.f("\nNote: %s\n", mdEscape(a.Note))
	}
	return p.err
}

func (jsonRenderer) Audit(w io.Writer, a *matrix.Audit) error { return a.Encode(w) }

func (junit) Audit(w io.Writer, a *matrix.Audit) error {
	suite := junitSuite{Name: "bindmatrix.audit." + a.Platform.Name}
	for _, s := range a.Sockets {
		var out strings.Builder
		for _, at := range s.Attempts {
			out.WriteString(attemptLine(at) + "\n")
		}
		tc := junitCase{Name: fmt.Sprintf("%s %s", s.Proto, s.Address), Classname: suite.Name, SystemOut: out.String()}
		switch s.Verdict {
		case matrix.Hijackable:
			tc.Failure = &junitMessage{Message: "hijackable", Text: s.Fix}
			suite.Failures++
		case matrix.SocketUnreached:
			tc.Skipped = &junitMessage{Message: "unreached: some attempts could not be made"}
			suite.Skipped++
		}
		suite.Cases = append(suite.Cases, tc)
	}
	if r := a.Restart; r != nil {
		tc := junitCase{Name: "restart", Classname: suite.Name, SystemOut: r.Witness}
		switch r.Verdict {
		case matrix.RestartFailed:
			tc.Failure = &junitMessage{Message: "restart failed: " + r.Note, Text: r.Output}
			suite.Failures++
		case matrix.RestartUnreached:
			tc.Skipped = &junitMessage{Message: "unreached: " + r.Note}
			suite.Skipped++
		}
		suite.Cases = append(suite.Cases, tc)
	}
	if len(suite.Cases) == 0 {
		suite.Cases = append(suite.Cases, junitCase{Name: "audit", Classname: suite.Name,
			Skipped: &junitMessage{Message: "incomplete: " + a.Note}})
		suite.Skipped++
	}
	return writeJUnit(w, suite)
}

func targetLine(t matrix.AuditTarget) string {
	switch {
	case t.Port != 0:
		return fmt.Sprintf("%s port %d", t.Proto, t.Port)
	case t.PID != 0:
		return fmt.Sprintf("process %d", t.PID)
	case t.Socket != "":
		return t.Socket
	}
	return "`" + shellQuote(t.Command) + "`"
}

// shellQuote spells a command as a shell would need it typed: an argument
// with a space or a character the shell treats specially is single-quoted,
// so that "bash -c 'nginx -c my.conf'" is not read as four words.
func shellQuote(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		plain := a != "" && !strings.ContainsFunc(a, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@%+=:,./_-", r))
		})
		if plain {
			quoted[i] = a
		} else {
			quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(quoted, " ")
}

func socketLine(s matrix.AuditSocket) string {
	owner := "owner unknown"
	if s.PID != 0 {
		owner = fmt.Sprintf("%s (pid %d)", s.Command, s.PID)
	}
	if s.User != "" {
		owner += ", user " + s.User
	}
	return fmt.Sprintf("%s %s (%s), %s: %s", s.Proto, s.Address, s.Family, clean(owner), strings.ToUpper(string(s.Verdict)))
}

func attemptLine(at matrix.Attempt) string {
	line := fmt.Sprintf("%s %s %s as %s: %s", at.Address, at.Family, at.Option, clean(at.User), at.Outcome)
	if d := deliveryText(at); d != "" {
		line += ", " + d
	}
	if at.Outcome == matrix.Unreached && at.Note != "" {
		line += " (" + clean(at.Note) + ")"
	}
	return line
}

func deliveryText(at matrix.Attempt) string {
	switch {
	case at.Delivery != nil:
		return fmt.Sprintf("received %d of %d sent", at.Delivery.Second, at.Delivery.Sent)
	case at.Outcome == matrix.OK:
		return "delivery not measured"
	}
	return ""
}

// sortAttempts splits attempts into those that took traffic (or could),
// those that bound but got none of the test traffic, and the rest.
func sortAttempts(all []matrix.Attempt) (took, quiet, refused []matrix.Attempt) {
	for _, at := range all {
		switch {
		case at.Took():
			took = append(took, at)
		case at.Outcome == matrix.OK:
			quiet = append(quiet, at)
		case at.Outcome != matrix.Unreached:
			refused = append(refused, at)
		}
	}
	return took, quiet, refused
}

// outcomeCounts spells how many attempts came to each outcome: "12
// attempts: 10 bind:EADDRINUSE, 2 unsupported".
func outcomeCounts(ats []matrix.Attempt) string {
	var order []matrix.Outcome
	n := map[matrix.Outcome]int{}
	for _, at := range ats {
		if n[at.Outcome] == 0 {
			order = append(order, at.Outcome)
		}
		n[at.Outcome]++
	}
	var parts []string
	for _, o := range order {
		parts = append(parts, fmt.Sprintf("%d %s", n[o], o))
	}
	return fmt.Sprintf("%s: %s", plural(len(ats), "attempt"), strings.Join(parts, ", "))
}

func unmade(all []matrix.Attempt) []matrix.Attempt {
	var out []matrix.Attempt
	for _, at := range all {
		if at.Outcome == matrix.Unreached {
			out = append(out, at)
		}
	}
	return out
}

func restartLine(r *matrix.Restart) string {
	line := fmt.Sprintf("restart: %s", r.Verdict)
	switch {
	case r.TimeWait == 1:
		line += " with 1 TIME_WAIT entry on the port"
	case r.TimeWait > 1:
		line += fmt.Sprintf(" with %d TIME_WAIT entries on the port", r.TimeWait)
	}
	if r.Witness != "" {
		line += "; witness: " + clean(r.Witness)
	}
	if r.Note != "" {
		line += "; " + clean(r.Note)
	}
	return line
}

func auditVerdictLine(a *matrix.Audit) string {
	hijackable := 0
	for _, s := range a.Sockets {
		if s.Verdict == matrix.Hijackable {
			hijackable++
		}
	}
	switch a.Verdict {
	case matrix.AuditHijackable:
		return fmt.Sprintf("VERDICT: HIJACKABLE (%d of %s can be taken over by another process)", hijackable, plural(len(a.Sockets), "socket"))
	case matrix.AuditRestartFailed:
		return "VERDICT: RESTART FAILED (every socket is exclusive, but the server did not come back)"
	case matrix.AuditIncomplete:
		return "VERDICT: INCOMPLETE (something could not be tried or proven; see above)"
	}
	line := fmt.Sprintf("VERDICT: EXCLUSIVE (no other process could take the traffic of any of %s", plural(len(a.Sockets), "socket"))
	if a.Restart != nil {
		line += "; the restart worked"
	}
	return line + ")"
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
