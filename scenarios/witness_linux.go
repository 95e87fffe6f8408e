package scenarios

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// witness asks the kernel for one TCP socket by its exact address tuple
// through sock_diag netlink (SOCK_DIAG_BY_FAMILY without NLM_F_DUMP): a hash
// lookup of microseconds, where reading /proc/net/tcp walks the whole table
// for milliseconds. It finds TIME_WAIT entries, which no descriptor owns.
//
// A kernel built without inet_diag (or with it as a module nobody loaded)
// answers every question with ENOENT, exactly like "no such socket", so a
// new witness first proves itself on a listener of its own; if sock_diag
// cannot see that, the witness reads /proc/net/tcp instead. One witness
// serves one goroutine.
type witness struct {
	fd     int // the netlink socket, or -1 when reading /proc
	buf    []byte
	source string // where the state is read, for evidence strings
}

var diagSeq atomic.Uint32

func newWitness() (*witness, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return procWitness()
	}
	// A kernel that never answers must not hang the run.
	tv := unix.NsecToTimeval(int64(2 * time.Second))
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("sock_diag netlink socket: %w", err)
	}
	w := &witness{fd: fd, buf: make([]byte, 8192), source: "sock_diag"}
	if err := selfTest(w); err != nil {
		w.close()
		return procWitness()
	}
	return w, nil
}

func procWitness() (*witness, error) {
	if _, err := os.Stat("/proc/net/tcp"); err != nil {
		return nil, fmt.Errorf("neither sock_diag nor /proc/net/tcp can be read: %w", err)
	}
	return &witness{fd: -1, source: "/proc/net/tcp"}, nil
}

// selfTest asks the witness about a listener it has just made.
func selfTest(w *witness) error {
	l, err := openSocket(familyIPv4, matrix.TCP)
	if err != nil {
		return err
	}
	defer l.close()
	if err := l.bind(address(familyIPv4, matrix.Specific, 0)); err != nil {
		return err
	}
	if err := l.listen(); err != nil {
		return err
	}
	local, err := l.localAddr()
	if err != nil {
		return err
	}
	state, found, err := w.tcpState(local, netip.AddrPort{})
	if err != nil {
		return err
	}
	if !found || state != tcpListen {
		return fmt.Errorf("sock_diag does not see its own listener on %s", local)
	}
	return nil
}

func (w *witness) close() {
	if w != nil && w.fd >= 0 {
		unix.Close(w.fd)
	}
}

// name says in evidence strings where the state was read.
func (w *witness) name() string {
	if w == nil {
		return "no witness"
	}
	return w.source
}

// Sizes from include/uapi/linux/inet_diag.h.
const (
	sizeofDiagReqV2 = 56
	sizeofDiagMsg   = 72
	diagNoCookie    = 0xffffffff
)

// tcpState looks up the TCP socket with local address local and peer remote;
// with a zero remote it looks up the listener on local. found is false when
// the kernel has no such socket.
func (w *witness) tcpState(local, remote netip.AddrPort) (state tcpState, found bool, err error) {
	if w == nil {
		return 0, false, errNoWitness
	}
	local, remote = unmapped(local), unmapped(remote)
	if w.fd < 0 {
		return procTCPState(local, remote)
	}
	if !remote.IsValid() {
		remote = netip.AddrPortFrom(zeroAddr(local.Addr()), 0) // the listener's peer
	}
	reply, errno, err := w.ask(unix.SOCK_DIAG_BY_FAMILY, local, remote)
	switch {
	case err != nil:
		return 0, false, err
	case errno == unix.ENOENT:
		return 0, false, nil
	case errno != 0:
		return 0, false, fmt.Errorf("sock_diag: %w", errno)
	case len(reply) < sizeofDiagMsg:
		return 0, false, fmt.Errorf("sock_diag: short reply")
	}
	// The kernel falls back to the listener when no connection has the
	// tuple: only an answer about the socket asked for counts.
	if !sameSocket(reply[0], reply[4:40], local, remote) {
		return 0, false, nil
	}
	return tcpState(reply[1]), true, nil
}

// forget removes the TIME_WAIT entry local↔remote (SOCK_DESTROY, as `ss -K`
// does; it needs CAP_NET_ADMIN), so that a run does not leave a port held
// for a minute per time_wait cell: a few runs in a row would otherwise use
// up the ephemeral range.
func (w *witness) forget(local, remote netip.AddrPort) error {
	if w == nil || w.fd < 0 {
		return errNoWitness
	}
	_, errno, err := w.ask(unix.SOCK_DESTROY, unmapped(local), unmapped(remote))
	if err == nil && errno != 0 {
		err = fmt.Errorf("sock_diag destroy: %w", errno)
	}
	return err
}

// A dual-stack socket's IPv4 connections are hashed by their IPv4
// addresses: ask about those, whatever the socket's family.
func unmapped(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// ask sends one sock_diag request of type typ for the exact tuple and
// returns the payload of the kernel's answer, or the errno it answered with
// (0 for a plain acknowledgement).
func (w *witness) ask(typ uint16, local, remote netip.AddrPort) (reply []byte, errno unix.Errno, err error) {
	family := uint8(unix.AF_INET)
	if local.Addr().Is6() {
		family = unix.AF_INET6
	}
	seq := diagSeq.Add(1)
	req := make([]byte, unix.SizeofNlMsghdr+sizeofDiagReqV2)
	ne := binary.NativeEndian
	ne.PutUint32(req[0:], uint32(len(req)))
	ne.PutUint16(req[4:], typ)
	flags := uint16(unix.NLM_F_REQUEST)
	if typ == unix.SOCK_DESTROY {
		flags |= unix.NLM_F_ACK // a destroy answers only errors unless asked
	}
	ne.PutUint16(req[6:], flags)
	ne.PutUint32(req[8:], seq)
	r := req[unix.SizeofNlMsghdr:]
	r[0] = family
	r[1] = unix.IPPROTO_TCP
	ne.PutUint32(r[4:], 0xffffffff) // every state
	id := r[8:]
	binary.BigEndian.PutUint16(id[0:], local.Port())
	binary.BigEndian.PutUint16(id[2:], remote.Port())
	putAddr(id[4:20], local.Addr())
	putAddr(id[20:36], remote.Addr())
	ne.PutUint32(id[40:], diagNoCookie)
	ne.PutUint32(id[44:], diagNoCookie)

	if err := unix.Sendto(w.fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, 0, fmt.Errorf("sock_diag request: %w", err)
	}
	for {
		n, _, err := unix.Recvfrom(w.fd, w.buf, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, 0, fmt.Errorf("sock_diag reply: %w", err)
		}
		for msg := w.buf[:n]; len(msg) >= unix.SizeofNlMsghdr; msg = msg[min(len(msg), (int(ne.Uint32(msg))+3)&^3):] {
			size := int(ne.Uint32(msg[0:]))
			if size < unix.SizeofNlMsghdr || size > len(msg) {
				return nil, 0, fmt.Errorf("sock_diag reply: bad message length %d", size)
			}
			if ne.Uint32(msg[8:]) != seq {
				continue // a late answer to an earlier question
			}
			data := msg[unix.SizeofNlMsghdr:size]
			switch ne.Uint16(msg[4:]) {
			case unix.NLMSG_ERROR:
				if len(data) < 4 {
					return nil, 0, fmt.Errorf("sock_diag: short error message")
				}
				return nil, unix.Errno(-int32(ne.Uint32(data))), nil
			case typ:
				return data, 0, nil
			}
			return nil, 0, fmt.Errorf("sock_diag: unexpected message type %d", ne.Uint16(msg[4:]))
		}
	}
}

// sameSocket reports whether an inet_diag_sockid (ports and addresses, as
// the kernel answered for a socket of family) is the socket local↔remote. A
// listener may sit on the wildcard address while local names the loopback
// one, and a dual-stack socket answers with v4-mapped addresses.
func sameSocket(family uint8, id []byte, local, remote netip.AddrPort) bool {
	if binary.BigEndian.Uint16(id[0:]) != local.Port() || binary.BigEndian.Uint16(id[2:]) != remote.Port() {
		return false
	}
	src, dst := addrFrom(family, id[4:20]), addrFrom(family, id[20:36])
	return (sameAddr(src, local.Addr()) || src.IsUnspecified()) && sameAddr(dst, remote.Addr())
}

func addrFrom(family uint8, b []byte) netip.Addr {
	if family == unix.AF_INET {
		return netip.AddrFrom4([4]byte(b[:4]))
	}
	return netip.AddrFrom16([16]byte(b[:16]))
}

// putAddr writes an address the way inet_diag_sockid holds it: IPv4 in the
// first four bytes, IPv6 in all sixteen, network byte order.
func putAddr(dst []byte, a netip.Addr) {
	if a.Is4() {
		b := a.As4()
		copy(dst, b[:])
		return
	}
	b := a.As16()
	copy(dst, b[:])
}
