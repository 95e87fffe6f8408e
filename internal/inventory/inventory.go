// Package inventory lists the sockets on this machine that serve: listening
// TCP sockets and bound, unconnected UDP ones, with the processes that hold
// them where the OS tells. Linux answers from sock_diag and /proc, Windows
// from iphlpapi, macOS from lsof, FreeBSD from sockstat. It also finds a
// process's descendants, which is how an audit finds the sockets of a
// server that forks.
package inventory

import (
	"errors"
	"net/netip"
	"os/user"
	"slices"
	"strconv"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// Socket is one serving socket and its owner.
type Socket struct {
	Proto  matrix.Proto
	Local  netip.AddrPort
	Family matrix.SocketFamily
	// PIDs are the processes that hold the socket (a forking server's
	// workers share its listener), lowest first; empty when unknown.
	PIDs    []int
	Command string // the first holder's command name
	UID     int    // -1 when unknown
	User    string
	// Unknown says why the owner is not known, when it is not.
	Unknown string
	// Merged says the socket is rows of several processes on one address:
	// lsof and sockstat name no socket, so these may be several sockets
	// (a forking server's one, or another program's SO_REUSEPORT joiner).
	Merged bool
	// Unrecorded says the OS's table records no owner for the socket
	// (Wine's iphlpapi gives every row pid 0), as against an owner not
	// found: another user's descriptors on Linux, a socket no descriptor
	// holds while it travels between processes, sockstat's "?" for a
	// socket whose process is gone.
	Unrecorded bool
	// Inode and Cookie name the kernel socket where the OS tells (Linux),
	// 0 elsewhere: a socket closed and another opened on the same address
	// have other ones, and they tell apart the sockets of a server that
	// opens one per thread on the same address (SO_REUSEPORT).
	Inode, Cookie uint64
}

// PID is the socket's first holder, 0 when unknown.
func (s Socket) PID() int {
	if len(s.PIDs) == 0 {
		return 0
	}
	return s.PIDs[0]
}

// Filter says which sockets to list.
type Filter struct {
	Protos []matrix.Proto // empty: TCP and UDP
	Port   uint16         // 0: any
	PIDs   []int          // empty: any process
	// IdentityOnly asks for the sockets alone where the OS names each
	// (Linux: inode and cookie), without their holders, whose lookup
	// reads every process's descriptors: enough to tell whether a socket
	// is still the same one.
	IdentityOnly bool
}

func (f Filter) wants(proto matrix.Proto) bool {
	return len(f.Protos) == 0 || slices.Contains(f.Protos, proto)
}

// owned says whether a socket held by pids passes the filter.
func (f Filter) owned(pids []int) bool {
	if len(f.PIDs) == 0 {
		return true
	}
	for _, p := range pids {
		if slices.Contains(f.PIDs, p) {
			return true
		}
	}
	return false
}

// ErrNoProcess says there is no process with that PID.
var ErrNoProcess = errors.New("no such process")

// ErrUnsupported says this OS has no socket inventory here yet.
var ErrUnsupported = errors.New("no socket inventory for this OS")

// familyOf names how a socket listed at local was opened.
func familyOf(local netip.AddrPort, dualStack bool) matrix.SocketFamily {
	switch {
	case local.Addr().Is4():
		return matrix.SockIPv4
	case dualStack:
		return matrix.SockDualStack
	}
	return matrix.SockIPv6
}

// userName is the name of uid, or the number when no database names it.
func userName(uid int) string {
	if uid < 0 {
		return ""
	}
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		return u.Username
	}
	return strconv.Itoa(uid)
}
