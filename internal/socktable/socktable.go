// Package socktable reads the socket tables operating systems print or send:
// sock_diag netlink messages and /proc/net/{tcp,udp} on Linux, netstat text
// on macOS and the BSDs, iphlpapi rows on Windows. Every function here is a
// pure function of its input, so each format is tested and fuzzed apart
// from the system calls that fetch it (package witness does those).
//
// It is not a socket library and it decides nothing: it turns bytes into
// Entries, and Find answers "is this socket in the table".
package socktable

import (
	"fmt"
	"net/netip"
	"strings"
)

// TCPState is a TCP state as the kernel's connection table reports it. The
// numbering is Linux's (include/net/tcp_states.h); other OSes' tables are
// mapped onto it.
type TCPState uint8

const (
	Established   TCPState = 1
	SynSent       TCPState = 2
	SynRecv       TCPState = 3
	FinWait1      TCPState = 4
	FinWait2      TCPState = 5
	TimeWait      TCPState = 6
	Close         TCPState = 7
	CloseWait     TCPState = 8
	LastAck       TCPState = 9
	Listen        TCPState = 10
	Closing       TCPState = 11
	NewSynRecv    TCPState = 12
	BoundInactive TCPState = 13 // Linux 6.5+: a bound socket that neither listens nor connects
)

var tcpStateNames = map[TCPState]string{
	Established: "ESTABLISHED", SynSent: "SYN_SENT", SynRecv: "SYN_RECV", FinWait1: "FIN_WAIT1",
	FinWait2: "FIN_WAIT2", TimeWait: "TIME_WAIT", Close: "CLOSE", CloseWait: "CLOSE_WAIT",
	LastAck: "LAST_ACK", Listen: "LISTEN", Closing: "CLOSING", NewSynRecv: "NEW_SYN_RECV",
	BoundInactive: "BOUND_INACTIVE",
}

func (s TCPState) String() string {
	if n, ok := tcpStateNames[s]; ok {
		return n
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// Entry is one socket of a table. Fields a format does not carry are zero:
// UID and PID are -1 when unknown, Inode and Cookie 0.
type Entry struct {
	Proto  string // "tcp" or "udp"
	Local  netip.AddrPort
	Remote netip.AddrPort // the zero port and unspecified address for a listener
	State  TCPState       // TCP only
	// DualStack says an IPv6 socket may also take IPv4: netstat's tcp46.
	// Tables that cannot tell (Linux's /proc, Windows' IPv6 table) set it
	// on every IPv6 wildcard socket, since it may be one.
	DualStack bool
	UID       int
	PID       int
	Command   string // the holder's command name, where the table gives it
	User      string // the holder's user name, where the table gives it
	Inode     uint64
	Cookie    uint64 // Linux's socket cookie: names exactly one kernel socket
}

// Find finds the socket local↔remote among entries: with a valid remote the
// connection with exactly those ends, with an invalid one the listener that
// accepts connections for local (on local's address or the wildcard, same
// port). Addresses compare the way kernels print them: v4-mapped or not.
func Find(entries []Entry, local, remote netip.AddrPort) (Entry, bool) {
	for _, e := range entries {
		if remote.IsValid() {
			if SameAddrPort(e.Local, local) && SameAddrPort(e.Remote, remote) {
				return e, true
			}
			continue
		}
		if e.State == Listen && e.Local.Port() == local.Port() &&
			(SameAddr(e.Local.Addr(), local.Addr()) || e.Local.Addr().IsUnspecified() && sameFamily(e, local.Addr())) {
			return e, true
		}
	}
	return Entry{}, false
}

// sameFamily says whether a wildcard listener can take connections for a:
// an IPv4 one for IPv4, an IPv6 one for IPv6, a dual-stack one for both.
func sameFamily(e Entry, a netip.Addr) bool {
	if e.Local.Addr().Is4() {
		return a.Unmap().Is4()
	}
	return !a.Unmap().Is4() || e.DualStack
}

// SameAddr compares addresses the way the kernels' tables may print them:
// v4-mapped or not, and any unspecified address equal to any other.
func SameAddr(a, b netip.Addr) bool {
	return a.Unmap() == b.Unmap() || (a.IsUnspecified() && b.IsUnspecified())
}

// SameAddrPort is SameAddr with equal ports.
func SameAddrPort(a, b netip.AddrPort) bool {
	return a.Port() == b.Port() && SameAddr(a.Addr(), b.Addr())
}

// Unspecified is the wildcard address of like's family.
func Unspecified(like netip.Addr) netip.Addr {
	if like.Unmap().Is4() {
		return netip.IPv4Unspecified()
	}
	return netip.IPv6Unspecified()
}

// Describe names sockets in a note: address, state for TCP, owner and
// inode where known.
func Describe(es []Entry) string {
	var parts []string
	for _, e := range es {
		p := e.Local.String()
		if e.Proto == "tcp" {
			p += " " + e.State.String()
		}
		if e.UID >= 0 {
			p += fmt.Sprintf(" uid %d", e.UID)
		}
		if e.Inode != 0 {
			p += fmt.Sprintf(" inode %d", e.Inode)
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ", ")
}
