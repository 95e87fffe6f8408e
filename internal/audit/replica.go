package audit

import (
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"github.com/bindmatrix/bindmatrix/internal/inventory"
	"github.com/bindmatrix/bindmatrix/internal/ports"
	"github.com/bindmatrix/bindmatrix/internal/sock"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// replicaAttempts judges a UDP socket of a server the audit did not start,
// without -deliver, without binding beside it: a UDP socket receives as
// soon as it binds (a bound-only SO_REUSEPORT socket took 29 of 64 live
// datagrams). The socket's options are read from the socket itself
// (inventory.ReadOptions), a replica with those options is bound, as the
// socket's owner, to the same address on a clean port, and the attempts
// are made against the replica, each confirmed by test traffic to it
// alone: every outcome a real syscall, nothing near the server. Where the
// options cannot be read, no attempt is made and the socket is unreached,
// saying why.
//
// conclude, called once the attempts are made and while the replica is
// still bound, concludes the verdict and who can take the socket, with
// the stranger's attempts made against the replica as well.
func (a *attacker) replicaAttempts(g []inventory.Socket, users []string, out *matrix.AuditSocket, conclude func(again)) {
	s := g[0]
	const why = "not attempted on the socket: a UDP socket receives datagrams as soon as it binds, so without -deliver no attempt binds beside a server the audit did not start"
	opts, err := inventory.ReadOptions(s)
	if err != nil {
		out.Judged = why + "; its options could not be read to judge it on a replica instead (" + err.Error() + "); -deliver makes the attempts on the socket itself"
		return
	}
	book := ports.NewBook()
	defer book.Close()
	port, err := book.Take(matrix.UDP)
	if err != nil {
		out.Judged = why + "; no clean port for a replica: " + err.Error()
		return
	}
	defer book.Release(port, false)
	owner := ownerOf(s)
	h, err := a.helper(owner)
	if err != nil {
		out.Judged = why + "; " + err.Error()
		return
	}
	at := netip.AddrPortFrom(s.Local.Addr(), port)
	replicaSock, outcome, _, err := h.Make(s.Family, matrix.UDP, opts.Set, at, false)
	//lint:ignore SA5001 Make returns the socket in every case, for the caller to close: the helper may hold it even when the answer failed.
	defer replicaSock.Close()
	if err == nil && outcome != matrix.OK {
		err = fmt.Errorf("%s", outcome)
	}
	if err != nil {
		out.Judged = fmt.Sprintf("%s; a replica with its options could not be bound to %v: %v", why, at, err)
		return
	}
	replica := inventory.Socket{Proto: matrix.UDP, Local: at, Family: s.Family, PIDs: []int{h.Pid()}, UID: s.UID, User: s.User}
	sub := *a
	sub.live, sub.deliver, sub.audited = true, true, []inventory.Socket{replica}
	for _, b := range plan(s.Family, at.Addr()) {
		for _, opt := range matrix.Options() {
			if !sock.OptionExists(opt) {
				continue
			}
			for _, user := range users {
				out.Attempts = append(out.Attempts, sub.attempt([]inventory.Socket{replica}, replica, b, opt, user))
			}
		}
	}
	set := "none"
	if len(opts.Set) > 0 {
		var names []string
		for _, o := range opts.Set {
			names = append(names, o.String())
		}
		set = strings.Join(names, ", ")
	}
	ownerText := "this user"
	if owner != "same" {
		ownerText = "user " + owner
	}
	conclude(func(at matrix.Attempt, user string) matrix.Attempt {
		return sub.attempt([]inventory.Socket{replica}, replica, bind{at.Family, at.Address.Addr()}, at.Option, user)
	})
	out.Judged = fmt.Sprintf("%s; judged on a replica instead: its options (%s), read with %s, set on a UDP socket of %s bound to %v, against which the attempts were made, with test traffic to the replica alone",
		why, set, opts.How, ownerText, at)
}

// ownerOf is the user a replica of s is made as: its owner where the
// auditor is root and the owner another user, the auditor otherwise.
func ownerOf(s inventory.Socket) string {
	if os.Geteuid() != 0 || s.UID <= 0 {
		return "same"
	}
	if s.User != "" {
		return s.User
	}
	return strconv.Itoa(s.UID)
}

// unprivilegedNote names the threshold below which binding needs
// privilege, where the OS says it.
func unprivilegedNote() string {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start")
	if err != nil {
		return ""
	}
	return " (below net.ipv4.ip_unprivileged_port_start, " + strings.TrimSpace(string(b)) + ")"
}
