package audit

import (
	"fmt"
	"os"
	"os/user"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/bindmatrix/bindmatrix/internal/child"
	"github.com/bindmatrix/bindmatrix/internal/host"
	"github.com/bindmatrix/bindmatrix/internal/inventory"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// Who can take a socket: the severity of a hijackable socket. It is
// derived from the socket's owner (the uid the kernel records: whoever
// created it), the options the takeovers needed, its protocol and its port
// (Derive), then put to the attempts made as other users (Confirm). An
// audit run as root makes the takeovers that worked again as nobody, so
// that "any user" is shown, not only said.

// Stranger is the unprivileged user a root audit confirms "any user" as;
// for a socket of nobody's own (memcached drops to it before it binds),
// the next of strangers that exists.
const Stranger = "nobody"

var strangers = []string{Stranger, "daemon"}

// Derive says who can take s's traffic on platform from the rules of that
// OS, and why: uid is the socket's creator (-1 unknown), unprivStart the
// lowest port an unprivileged process may bind there (0: none is
// privileged), source where that number comes from.
func Derive(platform string, s matrix.AuditSocket, uid, unprivStart int, source string) (matrix.Who, string) {
	switch s.Verdict {
	case matrix.Exclusive:
		return matrix.WhoNone, "no attempt took any of its traffic"
	case matrix.SocketUnreached:
		return matrix.WhoUnknown, "some attempts could not be made, so no user is ruled out"
	}
	took := map[matrix.Option]bool{}
	for _, at := range s.Attempts {
		if at.Took() {
			took[at.Option] = true
		}
	}
	port := int(s.Address.Port())
	if unprivStart > 0 && port < unprivStart {
		return matrix.WhoPrivileged, fmt.Sprintf("port %d is below %d (%s): only a process allowed to bind privileged ports (root, CAP_NET_BIND_SERVICE) can bind it at all", port, unprivStart, source)
	}
	if platform != "linux" {
		return matrix.WhoSameUser, fmt.Sprintf("the takeovers worked for the auditor's own user; which other users %s lets in is not modelled here", platform)
	}
	switch {
	case took[matrix.None]:
		return matrix.WhoAnyUser, "a bind with no option took it, and Linux checks no user for that"
	case took[matrix.ReuseAddr] && s.Proto == matrix.UDP:
		return matrix.WhoAnyUser, "two UDP sockets that both set SO_REUSEADDR share the port on Linux whatever their users, and the newest receives the datagrams (socket(7); observed: nobody took 16 of 16 from root's resolvers)"
	case took[matrix.ReuseAddr]:
		return matrix.WhoAnyUser, "a SO_REUSEADDR bind took it, and Linux checks no user for that option (inet_csk_bind_conflict)"
	case uid == 0:
		return matrix.WhoPrivileged, "only processes of the effective uid that created a SO_REUSEPORT socket may join its group (socket(7)), and root created this one"
	case uid < 0:
		return matrix.WhoSameUser, "only processes of the effective uid that created a SO_REUSEPORT socket may join its group (socket(7)); that uid is not known here"
	}
	return matrix.WhoSameUser, "only processes of the effective uid that created a SO_REUSEPORT socket may join its group (socket(7))"
}

// Confirm puts the derivation to the attempts of s made as other users:
// an unprivileged user other than the owner that took the traffic shows
// "any user", whatever the rules said; one that tried the same takeovers
// and was refused confirms a narrower derivation, and contradicts "any
// user" without lowering it (the worse of the two stands). uid is the
// socket's creator (-1 unknown), auditorUID whom the attempts of user
// "same" ran as; uidOf names other users' uids.
func Confirm(s matrix.AuditSocket, derived matrix.Who, uid, auditorUID int, uidOf func(string) (int, bool)) (matrix.Who, matrix.Confirmation, string) {
	if derived == matrix.WhoNone || derived == matrix.WhoUnknown {
		return derived, matrix.NotConfirmed, ""
	}
	type key struct {
		addr string
		fam  matrix.SocketFamily
		opt  matrix.Option
	}
	takeovers := map[key]bool{}
	for _, at := range s.Attempts {
		if at.Took() {
			takeovers[key{at.Address.String(), at.Family, at.Option}] = true
		}
	}
	var otherTook, otherTried, ownerTook bool
	said := map[string][]string{}
	var users []string
	for _, at := range s.Attempts {
		u := auditorUID
		if at.User != "same" {
			var ok bool
			if u, ok = uidOf(at.User); !ok {
				continue
			}
		}
		owner := uid >= 0 && u == uid
		other := !owner && u != 0 && uid >= 0
		switch {
		case owner && at.Took():
			ownerTook = true
		case other && at.Took():
			otherTook = true
		case other && at.Outcome != matrix.Unreached && takeovers[key{at.Address.String(), at.Family, at.Option}]:
			otherTried = true
		default:
			continue
		}
		if !other {
			continue
		}
		if _, seen := said[at.User]; !seen {
			users = append(users, at.User)
		}
		word := string(at.Outcome)
		if at.Took() {
			word = "took it"
			if d := at.Delivery; d != nil {
				word = fmt.Sprintf("took %d of %d", d.Second, d.Sent)
			}
		}
		said[at.User] = append(said[at.User], fmt.Sprintf("%s %s %s", at.Address, at.Option, word))
	}
	var checked []string
	for _, u := range users {
		checked = append(checked, "as "+u+": "+strings.Join(said[u], ", "))
	}
	text := strings.Join(checked, "; ")
	switch {
	case otherTook && derived == matrix.WhoAnyUser:
		return matrix.WhoAnyUser, matrix.Confirmed, text
	case otherTook:
		return matrix.WhoAnyUser, matrix.Contradicted, text
	case otherTried && derived != matrix.WhoAnyUser:
		if derived == matrix.WhoSameUser && !ownerTook {
			text += "; no attempt ran as the owner itself"
		}
		return derived, matrix.Confirmed, text
	case otherTried:
		// Refused where the rules let any user in: something on the port
		// changed between the attempts (a server opening its sockets), or
		// the rules are wrong here. Either way a refusal never lowers the
		// severity; it is reported as a contradiction.
		return derived, matrix.Contradicted, text
	}
	return derived, matrix.NotConfirmed, ""
}

// exposure derives and confirms who can take s's traffic. A root audit of
// a hijackable socket first makes its takeovers again as an unprivileged
// user who is not its owner (Stranger, or the next of strangers), unless
// -as made them.
func (a *attacker) exposure(s inventory.Socket, out *matrix.AuditSocket) *matrix.Exposure {
	start, source := host.UnprivilegedPortStart()
	e := &matrix.Exposure{Owner: s.User, UnprivilegedPortStart: start}
	e.Derived, e.Why = Derive(hostOS(), *out, s.UID, start, source)
	why := ""
	if e.Derived == matrix.WhoAnyUser || e.Derived == matrix.WhoSameUser || e.Derived == matrix.WhoPrivileged {
		why = a.tryAsStranger(s, out)
	}
	e.Who, e.Check, e.Checked = Confirm(*out, e.Derived, s.UID, os.Geteuid(), uidOf)
	if e.Check == matrix.NotConfirmed && e.Derived != matrix.WhoNone && e.Derived != matrix.WhoUnknown {
		e.Checked = why
	}
	return e
}

// tryAsStranger makes the takeovers of out again as a stranger, appending
// those attempts; it says why it cannot, when it cannot.
func (a *attacker) tryAsStranger(s inventory.Socket, out *matrix.AuditSocket) string {
	switch {
	case runtime.GOOS == "windows":
		return "not confirmed: Windows starts no process as another account without its password"
	case os.Geteuid() != 0:
		return fmt.Sprintf("not confirmed: only root can make attempts as another user (running as uid %d); as root the audit tries as %s", os.Geteuid(), Stranger)
	case s.UID < 0:
		return "not confirmed: the socket's owner is not known, so no other user can be told from it"
	}
	stranger := ""
	for _, name := range strangers {
		if uid, ok := uidOf(name); ok && uid != s.UID && uid != 0 {
			stranger = name
			break
		}
	}
	switch {
	case stranger == "":
		return fmt.Sprintf("not confirmed: this machine has none of %s to try as, other than the socket's owner; give -as with an unprivileged user", strings.Join(strangers, ", "))
	case slices.Contains(a.users, stranger):
		return "" // -as made them
	}
	if a.helpers[stranger] == nil {
		h, err := child.Start(child.UserNamed(stranger))
		if err != nil {
			return fmt.Sprintf("not confirmed: starting a helper as %s: %v", stranger, err)
		}
		a.helpers[stranger] = h
	}
	for _, at := range slices.Clone(out.Attempts) {
		if at.Took() && at.User != stranger {
			out.Attempts = append(out.Attempts, a.attempt(s, bind{at.Family, at.Address.Addr()}, at.Option, stranger))
		}
	}
	return ""
}

// uidOf is the uid of the user called name, where this OS names users.
func uidOf(name string) (int, bool) {
	u, err := user.Lookup(name)
	if err != nil {
		return 0, false
	}
	uid, err := strconv.Atoi(u.Uid)
	return uid, err == nil
}
