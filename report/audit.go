package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// The renderings of an audit: what was audited (the kernel sockets, the
// window they were stable for), each socket's verdict with who can take it, the attempts that took (or could take) its
// traffic, the fix, and the restart check.

func (text) Audit(w io.Writer, a *matrix.Audit) error {
	p := &printer{w: w}
	p.f("audit of %s on %s\n", targetLine(a.Target), platformLine(a.Platform))
	if a.Target.Settle != "" {
		p.f("its sockets were unchanged for %s before the attempts, and listed again after them\n", a.Target.Settle)
	}
	for _, s := range a.Sockets {
		p.f("\n%s\n", socketLine(s, a.Sockets))
		if line := inodesLine(s.Inodes); line != "" && !sharesAddress(s, a.Sockets) {
			p.f("  %s\n", line)
		}
		if e := s.Exposure; e != nil && s.Verdict == matrix.Hijackable {
			p.f("  who can take it: %s\n    why: %s\n", exposureLine(e), e.Why)
			if e.Checked != "" {
				p.f("    checked: %s\n", e.Checked)
			}
		}
		if per := perUser(s.Attempts); per != "" {
			p.f("  per user: %s\n", per)
		}
		g := sortAttempts(s)
		blocks := []struct {
			title string
			ats   []matrix.Attempt
		}{
			{"took its traffic:", g.took},
			{"joined a SO_REUSEPORT group a program steers, so it could take every connection:", g.steered},
			{"bound without listening (no live traffic reaches an attempt without -deliver), so listening could take its traffic:", g.boundOnly},
			{"bound, so it could take its traffic (delivery not measured):", g.unmeasured},
			{"bound, but received none of the test traffic:", g.quiet},
		}
		for _, b := range blocks {
			if len(b.ats) == 0 {
				continue
			}
			p.f("  %s\n", b.title)
			for _, at := range b.ats {
				p.f("    %s\n", attemptLine(at, a.Target))
			}
		}
		if len(g.byDesign) > 0 {
			p.f("  wildcard binds beside it received none, as the kernel gives the more specific socket its traffic: %s\n", bindList(g.byDesign))
		}
		if len(g.refused) > 0 {
			p.f("  refused: %s\n", outcomeCounts(g.refused))
		}
		for i, at := range g.unmade {
			if i == 0 {
				p.f("  could not be made:\n")
			}
			p.f("    %s\n", attemptLine(at, a.Target))
		}
		if s.Fix != "" {
			p.f("  fix: %s\n", s.Fix)
		}
		if s.Note != "" {
			p.f("  note: %s\n", cleanLines(s.Note, "    "))
		}
		if s.Judged != "" {
			p.f("  judged: %s\n", s.Judged)
		}
	}
	if r := a.Restart; r != nil {
		p.f("\n%s\n", restartLine(r))
		if r.Output != "" {
			p.f("  its output ends:\n    %s\n", cleanLines(r.Output, "    "))
		}
	}
	if a.Note != "" {
		p.f("\nnote: %s\n", cleanLines(a.Note, "  "))
	}
	p.f("\n%s\n", auditVerdictLine(a))
	return p.err
}

func (markdown) Audit(w io.Writer, a *matrix.Audit) error {
	p := &printer{w: w}
	p.f("## bindmatrix audit of %s\n\n", mdEscape(targetLine(a.Target)))
	p.f("**%s**\n\n%s.\n", auditVerdictLine(a), mdEscape(platformLine(a.Platform)))
	for _, s := range a.Sockets {
		p.f("\n### %s\n\n", mdEscape(socketLine(s, a.Sockets)))
		if line := inodesLine(s.Inodes); line != "" && !sharesAddress(s, a.Sockets) {
			p.f("%s.\n\n", upperFirst(line))
		}
		if e := s.Exposure; e != nil && s.Verdict == matrix.Hijackable {
			p.f("**Who can take it:** %s. %s.", mdEscape(exposureLine(e)), mdEscape(strings.TrimSuffix(upperFirst(e.Why), ".")))
			if e.Checked != "" {
				p.f(" Checked: %s.", mdEscape(e.Checked))
			}
			p.f("\n\n")
		}
		if per := perUser(s.Attempts); per != "" {
			p.f("Per user: %s.\n\n", mdEscape(per))
		}
		if s.Fix != "" {
			p.f("**Fix:** %s\n\n", mdEscape(s.Fix))
		}
		if s.Note != "" {
			p.f("Note: %s\n\n", mdEscape(s.Note))
		}
		if s.Judged != "" {
			p.f("Judged: %s\n\n", mdEscape(s.Judged))
		}
		p.f("| address | family | option | user | outcome | delivery |\n|---|---|---|---|---|---|\n")
		for _, at := range s.Attempts {
			p.f("| %s | %s | %s | %s | %s | %s |\n", at.Address, at.Family, at.Option, mdEscape(at.User), at.Outcome, mdEscape(deliveryText(at, a.Target)))
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
			out.WriteString(attemptLine(at, a.Target) + "\n")
		}
		name := fmt.Sprintf("%s %s", s.Proto, s.Address)
		if sharesAddress(s, a.Sockets) && len(s.Inodes) > 0 {
			name += " " + inodesLine(s.Inodes) // a vanished socket and its successor
		}
		tc := junitCase{Name: name, Classname: suite.Name, SystemOut: out.String()}
		switch s.Verdict {
		case matrix.Hijackable:
			msg := "hijackable"
			if e := s.Exposure; e != nil {
				msg += " by " + e.Who.Words(e.Owner)
			}
			tc.Failure = &junitMessage{Message: msg, Text: s.Fix}
			suite.Failures++
		case matrix.SocketUnreached:
			tc.Skipped = &junitMessage{Message: "unreached: some attempts could not be made"}
			suite.Skipped++
		case matrix.SocketVanished:
			tc.Skipped = &junitMessage{Message: "vanished: it closed during its attempts, and was not audited"}
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
		case matrix.RestartNotApplicable:
			tc.Skipped = &junitMessage{Message: "not applicable: " + r.Note}
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

// socketLine heads a socket's block. The kernel sockets it stands for
// (a server's per-thread SO_REUSEPORT sockets are one group, judged once)
// are named on the line below it, or in the heading itself where another
// audited socket has the same address (one that vanished and the one
// opened again there), which they then tell apart.
func socketLine(s matrix.AuditSocket, all []matrix.AuditSocket) string {
	owner := "owner unknown"
	if s.PID != 0 {
		owner = fmt.Sprintf("%s (pid %d)", s.Command, s.PID)
	}
	if s.User != "" {
		owner += ", user " + s.User
	}
	if line := inodesLine(s.Inodes); line != "" && sharesAddress(s, all) {
		owner += ", " + line
	}
	return fmt.Sprintf("%s %s (%s), %s: %s", s.Proto, s.Address, s.Family, clean(owner), strings.ToUpper(string(s.Verdict)))
}

// inodesLine names the kernel sockets audited, where the OS names them.
func inodesLine(inodes []uint64) string {
	var parts []string
	for _, n := range inodes {
		parts = append(parts, fmt.Sprint(n))
	}
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return "socket inode " + parts[0]
	}
	return fmt.Sprintf("%d sockets, inodes %s", len(parts), strings.Join(parts, ", "))
}

// sharesAddress says another audited socket has s's address: one that
// vanished and the one opened again there.
func sharesAddress(s matrix.AuditSocket, all []matrix.AuditSocket) bool {
	n := 0
	for _, o := range all {
		if o.Proto == s.Proto && o.Address == s.Address {
			n++
		}
	}
	return n > 1
}

// exposureLine says who can take a socket, and whether attempts as other
// users bore that out.
func exposureLine(e *matrix.Exposure) string {
	line := e.Who.Words(e.Owner)
	switch e.Check {
	case matrix.Confirmed:
		line += ", confirmed by attempts as another user"
	case matrix.Contradicted:
		line += fmt.Sprintf(", the worse of what the rules say (%s) and what attempts as another user showed", e.Derived.Words(e.Owner))
	default:
		line += ", by the rules (not confirmed)"
	}
	return line
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// perUser is each user's verdict, where attempts ran as more than one:
// "as same: hijackable; as nobody: exclusive".
func perUser(ats []matrix.Attempt) string {
	var users []string
	verdict := map[string]matrix.SocketVerdict{}
	for _, at := range ats {
		v, seen := verdict[at.User]
		if !seen {
			users = append(users, at.User)
			v = matrix.Exclusive
		}
		switch {
		case at.Took():
			v = matrix.Hijackable
		case at.Outcome == matrix.Unreached && v == matrix.Exclusive:
			v = matrix.SocketUnreached
		}
		verdict[at.User] = v
	}
	if len(users) < 2 {
		return ""
	}
	var parts []string
	for _, u := range users {
		parts = append(parts, fmt.Sprintf("as %s: %s", u, verdict[u]))
	}
	return strings.Join(parts, "; ")
}

func attemptLine(at matrix.Attempt, t matrix.AuditTarget) string {
	line := fmt.Sprintf("%s %s %s as %s: %s", at.Address, at.Family, at.Option, at.User, at.Outcome)
	if d := deliveryText(at, t); d != "" {
		line += ", " + d
	}
	if at.Outcome == matrix.Unreached && at.Note != "" {
		line += " (" + at.Note + ")"
	}
	return clean(line)
}

// deliveryText is what the test traffic showed, or why none was sent.
func deliveryText(at matrix.Attempt, t matrix.AuditTarget) string {
	switch {
	case at.Delivery != nil:
		return fmt.Sprintf("received %d of %d sent", at.Delivery.Second, at.Delivery.Sent)
	case at.Outcome != matrix.OK:
		return ""
	case at.BoundOnly:
		return at.Note // what listening would do
	case at.Note != "":
		return "delivery not measured: " + strings.TrimPrefix(at.Note, "no delivery check: ")
	case !t.Deliver:
		return "delivery not measured: no test traffic was asked for (-deliver sends it to a server the audit did not start)"
	}
	return "delivery not measured"
}

// attemptGroups are a socket's attempts as the text shows them.
type attemptGroups struct {
	took []matrix.Attempt // received some of the test traffic
	// steered joined a group a program steers: none of the test traffic,
	// yet they may replace the program and take all of it.
	steered    []matrix.Attempt
	boundOnly  []matrix.Attempt // bound without listening; the note says what listening would do
	unmeasured []matrix.Attempt // bound; no count, so they could take traffic
	quiet      []matrix.Attempt // bound, and received none of the test traffic
	// byDesign are wildcard binds beside a socket on a specific address
	// that received none: the kernel gives the more specific socket the
	// traffic, so they are expected, not findings.
	byDesign []matrix.Attempt
	refused  []matrix.Attempt
	unmade   []matrix.Attempt
}

func sortAttempts(s matrix.AuditSocket) attemptGroups {
	var g attemptGroups
	for _, at := range s.Attempts {
		switch {
		case at.Outcome == matrix.Unreached:
			g.unmade = append(g.unmade, at)
		case at.Outcome != matrix.OK:
			g.refused = append(g.refused, at)
		case at.Steered:
			g.steered = append(g.steered, at)
		case at.BoundOnly:
			g.boundOnly = append(g.boundOnly, at)
		case at.Delivery == nil:
			g.unmeasured = append(g.unmeasured, at)
		case at.Delivery.Second > 0:
			g.took = append(g.took, at)
		case at.Address.Addr().IsUnspecified() && !s.Address.Addr().IsUnspecified():
			g.byDesign = append(g.byDesign, at)
		default:
			g.quiet = append(g.quiet, at)
		}
	}
	return g
}

// bindList names attempts briefly: "0.0.0.0 SO_REUSEPORT as same, [::]
// SO_REUSEPORT as same (2 attempts)".
func bindList(ats []matrix.Attempt) string {
	var names []string
	for _, at := range ats {
		names = append(names, fmt.Sprintf("%s %s as %s", at.Address.Addr(), at.Option, at.User))
	}
	return fmt.Sprintf("%s (%s)", strings.Join(names, ", "), plural(len(ats), "attempt"))
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

func restartLine(r *matrix.Restart) string {
	line := "restart: " + strings.ReplaceAll(string(r.Verdict), "-", " ")
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
	hijackable, audited := 0, 0 // a vanished socket was not audited
	for _, s := range a.Sockets {
		if s.Verdict == matrix.Hijackable {
			hijackable++
		}
		if s.Verdict != matrix.SocketVanished {
			audited++
		}
	}
	switch a.Verdict {
	case matrix.AuditHijackable:
		return fmt.Sprintf("VERDICT: HIJACKABLE (%d of %s can be taken over by another process)", hijackable, plural(audited, "socket"))
	case matrix.AuditRestartFailed:
		return "VERDICT: RESTART FAILED (every socket is exclusive, but the server did not come back)"
	case matrix.AuditIncomplete:
		return "VERDICT: INCOMPLETE (something could not be tried or proven; see above)"
	}
	line := fmt.Sprintf("VERDICT: EXCLUSIVE (no other process could take the traffic of any of %s", plural(audited, "socket"))
	switch {
	case a.Restart == nil:
	case a.Restart.Verdict == matrix.RestartOK:
		line += "; the restart worked"
	case a.Restart.Verdict == matrix.RestartNotApplicable:
		line += "; no restart check: the server has no TCP listener"
	}
	return line + ")"
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
