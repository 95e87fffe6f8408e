package witness

import (
	"fmt"
	"net/netip"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/bindmatrix/bindmatrix/internal/sock"
	"github.com/bindmatrix/bindmatrix/internal/socktable"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// SockDiag asks the kernel for one TCP socket by its exact address tuple
// through sock_diag netlink (SOCK_DIAG_BY_FAMILY without NLM_F_DUMP): a
// hash lookup of microseconds, where reading /proc/net/tcp walks the whole
// table for milliseconds. It finds TIME_WAIT entries, which no descriptor
// owns.
type SockDiag struct {
	fd  int
	buf []byte
}

var (
	_ Witness           = (*SockDiag)(nil)
	_ TimeWaitDestroyer = (*SockDiag)(nil)
	_ PortWatcher       = (*SockDiag)(nil)
)

var diagSeq atomic.Uint32

// openBest opens sock_diag, or reads /proc where sock_diag does not work.
//
// A kernel built without inet_diag (or with it as a module nobody loaded)
// answers every question with ENOENT, exactly like "no such socket", so a
// new witness first proves itself on a listener of its own.
func openBest() (Witness, error) {
	w, err := OpenSockDiag()
	if err != nil {
		return openProc()
	}
	if err := selfTest(w); err != nil {
		w.Close()
		return openProc()
	}
	return w, nil
}

// OpenSockDiag opens a sock_diag netlink socket.
func OpenSockDiag() (*SockDiag, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return nil, fmt.Errorf("sock_diag netlink socket: %w", err)
	}
	// A kernel that never answers must not hang the caller.
	tv := unix.NsecToTimeval(int64(2 * time.Second))
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("sock_diag netlink socket: %w", err)
	}
	return &SockDiag{fd: fd, buf: make([]byte, 32<<10)}, nil
}

// selfTest asks the witness about a listener it has just made.
func selfTest(w Witness) error {
	l, err := sock.Open(matrix.SockIPv4, matrix.TCP)
	if err != nil {
		return err
	}
	defer l.Close()
	if err := l.Bind(sock.Addr(matrix.SockIPv4, matrix.Specific, 0)); err != nil {
		return err
	}
	if err := l.Listen(); err != nil {
		return err
	}
	local, err := l.LocalAddr()
	if err != nil {
		return err
	}
	e, found, err := w.Lookup(local, netip.AddrPort{})
	if err != nil {
		return err
	}
	if !found || e.State != socktable.Listen {
		return fmt.Errorf("%s does not see its own listener on %s", w.Name(), local)
	}
	return nil
}

func (w *SockDiag) Name() string { return "sock_diag" }

func (w *SockDiag) Close() error { return unix.Close(w.fd) }

// A dual-stack socket's IPv4 connections are hashed by their IPv4
// addresses: ask about those, whatever the socket's family.
func unmapped(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

func (w *SockDiag) Lookup(local, remote netip.AddrPort) (socktable.Entry, bool, error) {
	local, remote = unmapped(local), unmapped(remote)
	if !remote.IsValid() {
		remote = listenerPeer(local)
	}
	msgs, err := w.ask(socktable.DiagRequest{
		Type: socktable.SockDiagByFamily, Flags: socktable.FlagRequest,
		IPv6: local.Addr().Is6(), Protocol: unix.IPPROTO_TCP, States: ^uint32(0),
		Local: local, Remote: remote, Cookie: socktable.NoCookie,
	})
	if err != nil {
		return socktable.Entry{}, false, err
	}
	m := msgs[0]
	switch {
	case m.IsError() && m.Errno == int32(unix.ENOENT):
		return socktable.Entry{}, false, nil
	case m.IsError():
		return socktable.Entry{}, false, fmt.Errorf("sock_diag: %w", unix.Errno(m.Errno))
	}
	e, err := socktable.ParseDiagMsg("tcp", m.Payload)
	if err != nil {
		return socktable.Entry{}, false, fmt.Errorf("sock_diag: %w", err)
	}
	// The kernel falls back to the listener when no connection has the
	// tuple: only an answer about the socket asked for counts. A listener
	// may sit on the wildcard while local names the loopback address.
	if e.Local.Port() != local.Port() || e.Remote.Port() != remote.Port() ||
		!(socktable.SameAddr(e.Local.Addr(), local.Addr()) || e.Local.Addr().IsUnspecified()) ||
		!socktable.SameAddr(e.Remote.Addr(), remote.Addr()) {
		return socktable.Entry{}, false, nil
	}
	return e, true, nil
}

// DestroyOwnTimeWait removes a TIME_WAIT entry by its cookie (SOCK_DESTROY,
// as `ss -K` does; it needs CAP_NET_ADMIN). The kernel checks the cookie
// before it destroys anything (inet_diag_find_one_icsk).
func (w *SockDiag) DestroyOwnTimeWait(e socktable.Entry) error {
	if e.State != socktable.TimeWait || e.Cookie == 0 || e.Cookie == socktable.NoCookie {
		return fmt.Errorf("sock_diag destroy: %s<->%s is %s with cookie %#x; only a TIME_WAIT entry named by its cookie is destroyed", e.Local, e.Remote, e.State, e.Cookie)
	}
	local, remote := unmapped(e.Local), unmapped(e.Remote)
	msgs, err := w.ask(socktable.DiagRequest{
		Type: socktable.SockDestroy, Flags: socktable.FlagRequest | socktable.FlagAck,
		IPv6: local.Addr().Is6(), Protocol: unix.IPPROTO_TCP, States: 1 << socktable.TimeWait,
		Local: local, Remote: remote, Cookie: e.Cookie,
	})
	if err != nil {
		return err
	}
	if m := msgs[0]; m.IsError() && m.Errno != 0 {
		return fmt.Errorf("sock_diag destroy: %w", unix.Errno(m.Errno))
	}
	return nil
}

// AllStates asks a dump for sockets in any state.
const AllStates = ^uint32(0)

// Dump lists the sockets of proto ("tcp" or "udp") in the given states (a
// bit per socktable.TCPState, or AllStates) whose local port is port, or
// on every port when port is 0. Bound-only TCP sockets are listed from
// Linux 6.5 on; unconnected UDP sockets are in state Close.
func (w *SockDiag) Dump(proto string, port uint16, states uint32) ([]socktable.Entry, error) {
	protocol := uint8(unix.IPPROTO_TCP)
	if proto == "udp" {
		protocol = unix.IPPROTO_UDP
	}
	var all []socktable.Entry
	for _, v6 := range []bool{false, true} {
		msgs, err := w.ask(socktable.DiagRequest{
			Type: socktable.SockDiagByFamily, Flags: socktable.FlagRequest | socktable.FlagDump,
			IPv6: v6, Protocol: protocol, States: states, Cookie: socktable.NoCookie, LocalPort: port,
		})
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			if m.IsError() || m.Done() {
				if m.Errno != 0 {
					return nil, fmt.Errorf("sock_diag dump: %w", unix.Errno(m.Errno))
				}
				continue
			}
			e, err := socktable.ParseDiagMsg(proto, m.Payload)
			if err != nil {
				return nil, fmt.Errorf("sock_diag dump: %w", err)
			}
			all = append(all, e)
		}
	}
	return all, nil
}

// OnPort lists the TCP listeners or the UDP sockets on port: a walk over
// the listening hash only, about 40 µs a family here.
func (w *SockDiag) OnPort(proto string, port uint16) ([]socktable.Entry, error) {
	states := AllStates
	if proto == "tcp" {
		states = 1 << socktable.Listen
	}
	return w.Dump(proto, port, states)
}

// ask sends one request and returns the kernel's answer: for a single
// lookup or destroy one message (the socket, or an error or ack), for a
// dump every message up to NLMSG_DONE, which it leaves out.
func (w *SockDiag) ask(r socktable.DiagRequest) ([]socktable.NetlinkMessage, error) {
	r.Seq = diagSeq.Add(1)
	if err := unix.Sendto(w.fd, r.Marshal(), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, fmt.Errorf("sock_diag request: %w", err)
	}
	dump := r.Flags&socktable.FlagDump != 0
	var out []socktable.NetlinkMessage
	for {
		n, _, err := unix.Recvfrom(w.fd, w.buf, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("sock_diag reply: %w", err)
		}
		msgs, err := socktable.ParseNetlink(w.buf[:n])
		if err != nil {
			return nil, fmt.Errorf("sock_diag reply: %w", err)
		}
		for _, m := range msgs {
			if m.Seq != r.Seq {
				continue // a late answer to an earlier question
			}
			if !dump {
				if !m.IsError() && m.Type != r.Type {
					return nil, fmt.Errorf("sock_diag: unexpected message type %d", m.Type)
				}
				m.Payload = append([]byte(nil), m.Payload...) // the buffer is reused
				return []socktable.NetlinkMessage{m}, nil
			}
			if m.Done() || m.IsError() {
				if m.IsError() {
					out = append(out, m)
				}
				return out, nil
			}
			m.Payload = append([]byte(nil), m.Payload...)
			out = append(out, m)
		}
	}
}
