package audit

import (
	"fmt"
	"net/netip"
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

// exposure derives and confirms who can take the traffic of group g,
// judged in out: from the group's creator uid, the options its takeovers
// needed and its port. A root audit of a hijackable socket first makes its
// takeovers again as an unprivileged user who is not its owner (Stranger,
// or the next of strangers), unless -as made them, with retry: against
// the socket itself, as bound-only attempts where no live traffic may
// reach them, or against the replica a UDP socket was judged on. retry is
// nil when there was nothing to attempt against.
func (a *attacker) exposure(g []inventory.Socket, out *matrix.AuditSocket, retry again) *matrix.Exposure {
	s := g[0]
	uid := groupUID(g)
	start, source := host.UnprivilegedPortStart()
	e := &matrix.Exposure{Owner: s.User, UnprivilegedPortStart: start}
	if uid < 0 {
		e.Owner = ""
	}
	e.Derived, e.Why = Derive(hostOS(), *out, uid, start, source)
	e.Who, e.Check = e.Derived, matrix.NotConfirmed
	if e.Derived == matrix.WhoNone || e.Derived == matrix.WhoUnknown {
		return e
	}
	if onReplica(*out) && start > 0 && int(out.Address.Port()) < start {
		// The replica is on a port anyone may bind: attempts there show
		// nothing about the privilege the socket's own port needs.
		e.Checked = fmt.Sprintf("not confirmed: the takeovers were made on a replica on port %d, which needs no privilege, so attempts as other users there cannot show who may bind port %d", out.Attempts[0].Address.Port(), out.Address.Port())
		return e
	}
	why := a.tryAsStranger(uid, out, retry)
	e.Who, e.Check, e.Checked = Confirm(*out, e.Derived, uid, os.Geteuid(), uidOf)
	if e.Check == matrix.NotConfirmed {
		e.Checked = why
	}
	return e
}

// onReplica says the attempts of out were made on a replica of the socket
// (on another port), not beside it.
func onReplica(out matrix.AuditSocket) bool {
	return len(out.Attempts) > 0 && out.Attempts[0].Address.Port() != out.Address.Port()
}

// tryAsStranger makes the takeovers of out again as a stranger, with
// retry, appending those attempts; it says why it cannot, when it cannot.
// uid is the socket's creator.
func (a *attacker) tryAsStranger(uid int, out *matrix.AuditSocket, retry again) string {
	switch {
	case runtime.GOOS == "windows":
		return "not confirmed: Windows starts no process as another account without its password"
	case os.Geteuid() != 0:
		return fmt.Sprintf("not confirmed: only root can make attempts as another user (running as uid %d); as root the audit tries as %s", os.Geteuid(), Stranger)
	case uid < 0:
		return "not confirmed: the socket's owner is not known, so no other user can be told from it"
	case retry == nil:
		return "not confirmed: there was no socket to make the attempts against again"
	}
	stranger := ""
	for _, name := range strangers {
		if u, ok := uidOf(name); ok && u != uid && u != 0 {
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
	type key struct {
		addr netip.AddrPort
		fam  matrix.SocketFamily
		opt  matrix.Option
	}
	made := map[key]bool{} // the auditor's and the owner's takeovers are one
	for _, at := range slices.Clone(out.Attempts) {
		k := key{at.Address, at.Family, at.Option}
		if at.Took() && at.User != stranger && !made[k] {
			made[k] = true
			out.Attempts = append(out.Attempts, retry(at, stranger))
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
