package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// Who can take a hijackable socket's traffic: the exposure tables' severity.
const (
	AnyUser        = "any user"
	SameUser       = "same user"
	PrivilegedOnly = "privileged only"
)

// UnprivilegedPortStart is Linux's default net.ipv4.ip_unprivileged_port_start:
// a bind below it needs privilege, whatever the options.
const UnprivilegedPortStart = 1024

// Severity says who can take a hijackable socket's traffic, and how that is
// known: from the attempts that took it, by whom (the socket's owner, root,
// or another user such as nobody), and, where no attempt was made as
// another user, derived from what took it (a UDP bind with SO_REUSEADDR is
// open to any user on Linux; SO_REUSEPORT to the owner's uid only; see
// FACTS.md "Who can take a port"). It is "" for a socket that is not
// hijackable.
//
// The audit itself will carry a per-socket severity (issue 21, item 19);
// where it does, the table shows the audit's.
//
// users are the audit's (Target.Users): "same" is the auditing user, taken
// for the socket's owner unless the owner was also tried by name, which
// only root can do (-as, or the audit's attempts as a socket's owner).
func Severity(users []string, s matrix.AuditSocket) (who, how string) {
	if s.Verdict != matrix.Hijackable {
		return "", ""
	}
	var took []matrix.Attempt
	for _, at := range s.Attempts {
		if at.Took() {
			took = append(took, at)
		}
	}
	if len(took) == 0 {
		return "", ""
	}
	owner := s.User
	auditor := owner
	if owner != "" && (slices.Contains(users, owner) ||
		slices.ContainsFunc(s.Attempts, func(at matrix.Attempt) bool { return at.User == owner })) {
		auditor = "root" // the owner was tried by name, which only root can (-as, or the audit's own owner attempts)
	}
	name := func(u string) string {
		if u == "same" {
			return auditor
		}
		return u
	}
	isOwner := func(u string) bool { return name(u) == owner }
	stranger := func(u string) bool { return !isOwner(u) && name(u) != "root" }
	triedAs := func(pred func(string) bool) bool {
		return slices.ContainsFunc(s.Attempts, func(at matrix.Attempt) bool { return pred(at.User) })
	}
	if i := slices.IndexFunc(took, func(at matrix.Attempt) bool { return stranger(at.User) }); i >= 0 {
		return AnyUser, "confirmed: " + tookBy(took[i])
	}
	if s.Address.Port() < UnprivilegedPortStart {
		return PrivilegedOnly, fmt.Sprintf("port %d is below %d, where a bind needs privilege", s.Address.Port(), UnprivilegedPortStart)
	}
	if !triedAs(stranger) {
		// No attempt as another user: what took it says who could.
		udpReuseAddr := slices.ContainsFunc(took, func(at matrix.Attempt) bool {
			return s.Proto == matrix.UDP && at.Option == matrix.ReuseAddr
		})
		if udpReuseAddr {
			return AnyUser, "derived, not confirmed: a UDP bind with SO_REUSEADDR beside it is open to any user on Linux"
		}
		return sameUserOrRoot(owner, "derived, not confirmed: no attempt was made as another user")
	}
	i := slices.IndexFunc(took, func(at matrix.Attempt) bool { return !stranger(at.User) })
	return sameUserOrRoot(owner, "confirmed: "+tookBy(took[i])+"; no attempt as another user took any")
}

// sameUserOrRoot: the owner's processes only, which for a socket of root
// means privileged ones.
func sameUserOrRoot(owner, how string) (string, string) {
	if owner == "root" {
		return PrivilegedOnly, "the socket is root's; " + how
	}
	if owner == "" {
		return SameUser, how
	}
	return SameUser, fmt.Sprintf("the socket is %s's; %s", owner, how)
}

// tookBy is one attempt that took traffic, in a few words.
func tookBy(at matrix.Attempt) string {
	user := at.User
	if user == "same" {
		user = "the auditor"
	}
	text := fmt.Sprintf("%s's %s bind of %s", user, at.Option, portless(at.Address))
	if at.Delivery != nil {
		text += fmt.Sprintf(" took %d of %d", at.Delivery.Second, at.Delivery.Sent)
	} else {
		text += " succeeded"
	}
	return strings.TrimSpace(text)
}

// SocketSeverity is who can take s, in the table's words: the audit's own
// Exposure where it has one, else Severity's derivation from the attempts.
func SocketSeverity(users []string, s matrix.AuditSocket) (who, how string) {
	e := s.Exposure
	if e == nil {
		return Severity(users, s)
	}
	switch e.Who {
	case matrix.WhoAnyUser:
		who = AnyUser
	case matrix.WhoSameUser:
		who = SameUser
	case matrix.WhoPrivileged:
		who = PrivilegedOnly
	case matrix.WhoNone:
		return "", ""
	default:
		who = string(e.Who)
	}
	how = "the audit's: " + string(e.Check)
	if e.Owner != "" {
		how += ", the socket is " + e.Owner + "'s"
	}
	if e.Checked != "" {
		how += "; " + e.Checked
	} else if e.Why != "" {
		how += "; " + e.Why
	}
	return who, how
}
