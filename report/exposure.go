package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// exposureTable writes the Linux exposure table: per server and socket,
// the verdict, who can take it (Severity), what each user's attempts took,
// and the restart.
func exposureTable(p *printer, rows []RuntimeRow) {
	p.f("\n## Who can take each port, on Linux\n\n")
	p.f("Per socket of each server's Linux audit: the verdict; who can take it (`%s`: a process of\n", AnyUser)
	p.f("any user, as `nobody` did; `%s`: the socket owner's processes; `%s`: root's, or\n", SameUser, PrivilegedOnly)
	p.f("any bind below port %d), confirmed by attempts as the owner and as another user, or\n", UnprivilegedPortStart)
	p.f("derived where no such attempt was made; how many of the test connections or datagrams\n")
	p.f("each user's best attempt received; and the restart while the old connections sat in\n")
	p.f("TIME_WAIT. Sockets alike on every count are one line (×N).\n\n")
	p.f("| server | socket | verdict | who can take it | took (best attempt per user) | restart |\n|---|---|---|---|---|---|\n")
	for _, r := range rows {
		a := r.Audits["linux"]
		if a == nil || len(a.Sockets) == 0 {
			continue
		}
		restart := restartText(a.Restart)
		for _, g := range groupSockets(a) {
			sock := fmt.Sprintf("%s %s", g.socket.Proto, portless(g.socket.Address))
			if g.n > 1 {
				sock += fmt.Sprintf(" ×%d", g.n)
			}
			if g.socket.User != "" {
				sock += " (" + g.socket.User + "'s)"
			}
			who := g.who
			if g.how != "" {
				who = "**" + who + "** (" + g.how + ")"
			}
			p.f("| %s | %s | %s | %s | %s | %s |\n", mdEscape(r.Title), mdEscape(sock), g.socket.Verdict,
				mdEscape(who), mdEscape(g.took), mdEscape(restart))
		}
	}
}

// socketGroup is the sockets of an audit that read the same in the table.
type socketGroup struct {
	socket         matrix.AuditSocket
	who, how, took string
	n              int
}

func groupSockets(a *matrix.Audit) []socketGroup {
	var groups []socketGroup
	for _, s := range a.Sockets {
		who, how := SocketSeverity(a.Target.Users, s)
		took := tookPerUser(s)
		i := slices.IndexFunc(groups, func(g socketGroup) bool {
			return g.socket.Proto == s.Proto && g.socket.Address == s.Address && g.socket.User == s.User &&
				g.socket.Verdict == s.Verdict && g.who == who && g.how == how && g.took == took
		})
		if i >= 0 {
			groups[i].n++
			continue
		}
		groups = append(groups, socketGroup{socket: s, who: who, how: how, took: took, n: 1})
	}
	return groups
}

// tookPerUser is, per user the attempts ran as, the attempt that took the
// largest share of the test traffic, or that none did.
func tookPerUser(s matrix.AuditSocket) string {
	var users []string
	best := map[string]matrix.Attempt{}
	for _, at := range s.Attempts {
		if !slices.Contains(users, at.User) {
			users = append(users, at.User)
		}
		if !at.Took() {
			continue
		}
		if old, ok := best[at.User]; !ok || share(at) > share(old) {
			best[at.User] = at
		}
	}
	var parts []string
	for _, u := range users {
		name := u
		if u == "same" {
			name = "auditor"
		}
		at, ok := best[u]
		switch {
		case !ok:
			parts = append(parts, name+": none")
		case at.Delivery == nil:
			parts = append(parts, fmt.Sprintf("%s: %s %s bound (no delivery check)", name, portless(at.Address), at.Option))
		default:
			parts = append(parts, fmt.Sprintf("%s: %d of %d (%s %s)", name, at.Delivery.Second, at.Delivery.Sent, portless(at.Address), at.Option))
		}
	}
	return strings.Join(parts, "; ")
}

// share orders attempts by what they took: a counted share, else a bind
// that succeeded without a count.
func share(at matrix.Attempt) float64 {
	if at.Delivery == nil || at.Delivery.Sent == 0 {
		return 0
	}
	return float64(at.Delivery.Second) / float64(at.Delivery.Sent)
}

// restartText is a restart check in a few words, with its reason when it
// could not be made.
func restartText(r *matrix.Restart) string {
	switch {
	case r == nil:
		return "not checked"
	case r.Verdict == matrix.RestartOK || r.Verdict == matrix.RestartFailed:
		return fmt.Sprintf("%s (%d TIME_WAIT)", r.Verdict, r.TimeWait)
	}
	note, _, _ := strings.Cut(r.Note, ";")
	return cmp.Or(strings.TrimSpace(string(r.Verdict)+": "+note), string(r.Verdict))
}

// DocumentedCell says what a documented expected table (Windows') holds
// for a server that sets sets there, with its sockets as the Linux audit
// found them (protocol, address): for each, the binds of the same user
// the table says succeed and take traffic (the newcomer's own option and
// address: the same one, or loopback beside a wildcard). It is marked
// documented: nothing ran.
func DocumentedCell(t *matrix.Table, sets []matrix.Option, linux *matrix.Audit) string {
	first := matrix.None
	switch {
	case slices.Contains(sets, matrix.ExclusiveAddrUse):
		first = matrix.ExclusiveAddrUse
	case slices.Contains(sets, matrix.ReuseAddr):
		first = matrix.ReuseAddr
	}
	if linux == nil || len(linux.Sockets) == 0 {
		return ""
	}
	var parts, seen []string
	for _, s := range linux.Sockets {
		name := fmt.Sprintf("%s %s", s.Proto, portless(s.Address))
		if slices.Contains(seen, name) {
			continue
		}
		seen = append(seen, name)
		fam := matrix.IPv4
		if !s.Address.Addr().Unmap().Is4() {
			fam = matrix.IPv6
		}
		kind := matrix.Specific
		if s.Address.Addr().IsUnspecified() {
			kind = matrix.Wildcard
		}
		state := matrix.Listening
		if s.Proto == matrix.UDP {
			state = matrix.Bound
		}
		var takes []string
		missing := false
		seconds := []matrix.AddrKind{kind}
		if kind == matrix.Wildcard {
			seconds = append(seconds, matrix.Specific)
		}
		for _, second := range seconds {
			for _, opt := range []matrix.Option{matrix.None, matrix.ReuseAddr, matrix.ExclusiveAddrUse} {
				e, ok := t.Entries[matrix.NewCell(s.Proto, fam, state, kind, second, first, opt)]
				if !ok {
					missing = true
					continue
				}
				if e.Outcome == matrix.OK && e.Delivery != matrix.DeliveredFirst && e.Delivery != matrix.DeliveredNone {
					where := "the same address"
					if second != kind {
						where = "loopback beside it"
					}
					takes = append(takes, fmt.Sprintf("%s on %s", opt, where))
				}
			}
		}
		switch {
		case len(takes) > 0:
			parts = append(parts, fmt.Sprintf("%s: hijackable by the same user: %s", name, strings.Join(takes, ", ")))
		case missing:
			parts = append(parts, name+": the table has no cell for it")
		default:
			parts = append(parts, name+": exclusive")
		}
	}
	return fmt.Sprintf("documented (%s; sets %s there): %s", t.File, setsText(sets), strings.Join(parts, "; "))
}
