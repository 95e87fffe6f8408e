// Package witness proves what state a TCP socket is in by asking the
// kernel's own connection table: sock_diag (or /proc/net/tcp) on Linux,
// netstat on macOS and the BSDs, iphlpapi on Windows. A witness only reads;
// removing a TIME_WAIT entry is a separate, narrower interface
// (TimeWaitDestroyer) that touches nothing but the one kernel socket its
// caller names by cookie.
//
// Formats are decoded by package socktable; this package makes the calls.
package witness

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/bindmatrix/bindmatrix/internal/socktable"
)

// Witness reads the kernel's TCP table. One Witness serves one goroutine.
type Witness interface {
	// Name says in evidence where the state was read: "sock_diag".
	Name() string
	// Lookup finds the TCP socket with local address local and peer
	// remote; with an invalid remote, the listener that accepts
	// connections for local. found is false when the kernel has none.
	Lookup(local, remote netip.AddrPort) (e socktable.Entry, found bool, err error)
	Close() error
}

// TimeWaitDestroyer removes a TIME_WAIT entry the caller created itself,
// so that a run does not leave ports held for a minute per time_wait cell.
// It exists where the kernel can do it (Linux's SOCK_DESTROY, with
// CAP_NET_ADMIN).
type TimeWaitDestroyer interface {
	// DestroyOwnTimeWait aborts the kernel socket e names: e must come from
	// Lookup of a connection the caller made and closed itself, in
	// TIME_WAIT, with its cookie. The kernel destroys only the socket with
	// that cookie, so a socket of anybody else is never touched, even one
	// that took the same addresses since.
	DestroyOwnTimeWait(e socktable.Entry) error
}

// Snapshotter is a witness whose every lookup reads whole tables
// (iphlpapi, netstat): it hands out the tables that could hold a socket on
// local in one read, so that several questions cost one read. Under Wine a
// read costs milliseconds.
type Snapshotter interface {
	Snapshot(local netip.AddrPort) ([]socktable.Entry, error)
}

// PortWatcher lists, cheaply enough to ask once per cell, the sockets on a
// local port that could share it with a cell's sockets: TCP listeners and
// UDP sockets. (Bound-only TCP sockets and connections would take a walk
// over the kernel's whole connection table: milliseconds per look.)
type PortWatcher interface {
	OnPort(proto string, port uint16) ([]socktable.Entry, error)
}

// TimeWaitNoter is a witness that can tell why a connection between two
// local addresses leaves no TIME_WAIT entry on this host: a host setting
// of the platform registry (matrix.PlatformFacts.Settings), such as
// FreeBSD's net.inet.tcp.nolocaltimewait=1, read where it can be.
type TimeWaitNoter interface {
	// TimeWaitNote names the setting and its value, or is "" when no
	// setting keeps TIME_WAIT away.
	TimeWaitNote() string
}

// TimeWaitNote is w's note on why a local connection may leave no
// TIME_WAIT entry here, or "" when w has none to give.
func TimeWaitNote(w Witness) string {
	if n, ok := w.(TimeWaitNoter); ok {
		return n.TimeWaitNote()
	}
	return ""
}

// ErrNoWitness says the TCP table cannot be read here; states that need
// it are unreached, never assumed.
var ErrNoWitness = errors.New("no witness can read the TCP connection table")

// None is the witness of a place where none works: every lookup fails with
// ErrNoWitness and the reason.
type None struct{ Why error }

func (n None) Name() string { return "no witness" }

func (n None) Lookup(local, remote netip.AddrPort) (socktable.Entry, bool, error) {
	if n.Why == nil {
		return socktable.Entry{}, false, ErrNoWitness
	}
	return socktable.Entry{}, false, fmt.Errorf("%w: %v", ErrNoWitness, n.Why)
}

func (n None) Close() error { return nil }

// Kinds a caller may ask Open for: the best this OS has, Linux's /proc
// reader, or none at all (to see how a run without a witness reports).
const (
	Best = ""
	Proc = "proc"
	Off  = "none"
)

// Open opens a witness of the given kind. It never returns a nil Witness:
// when none can be opened it returns None with the reason, and the error.
func Open(kind string) (Witness, error) {
	var w Witness
	var err error
	switch kind {
	case Best:
		w, err = openBest()
	case Proc:
		w, err = openProc()
	case Off:
		err = fmt.Errorf("no witness: asked for none")
	default:
		err = fmt.Errorf("no witness: kind %q is neither %q nor %q", kind, Proc, Off)
	}
	if err != nil {
		return None{Why: err}, err
	}
	return w, nil
}

// listenerPeer is the peer a lookup names for a listener: the unspecified
// address of local's family, port 0.
func listenerPeer(local netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(socktable.Unspecified(local.Addr()), 0)
}
