//go:build unix

package sock

import (
	"fmt"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// Socket is a raw descriptor and the protocol it was opened for. The zero
// Socket is not open; closing it does nothing.
type Socket struct {
	fd    int
	proto matrix.Proto
	open  bool
}

// Open opens a socket; an IPv6 one sets IPV6_V6ONLY to 1 (SockIPv6) or 0
// (SockDualStack), since the OS's default differs.
func Open(fam matrix.SocketFamily, proto matrix.Proto) (Socket, error) {
	domain := unix.AF_INET
	if fam != matrix.SockIPv4 {
		domain = unix.AF_INET6
	}
	typ := unix.SOCK_STREAM
	if proto == matrix.UDP {
		typ = unix.SOCK_DGRAM
	}
	fd, err := newFD(domain, typ)
	if err != nil {
		return Socket{}, sysErr("socket", err)
	}
	s := Socket{fd: fd, proto: proto, open: true}
	if fam != matrix.SockIPv4 {
		v6only := 0
		if fam == matrix.SockIPv6 {
			v6only = 1
		}
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v6only); err != nil {
			s.Close()
			return Socket{}, sysErr("setsockopt", err)
		}
	}
	return s, nil
}

// Valid says the socket is open.
func (s Socket) Valid() bool { return s.open }

// FD is the descriptor, for a syscall this package does not make.
func (s Socket) FD() int { return s.fd }

func sockaddr(ap netip.AddrPort) unix.Sockaddr {
	if ap.Addr().Is4() {
		return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
	}
	return &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
}

func fromSockaddr(sa unix.Sockaddr) netip.AddrPort {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), uint16(sa.Port))
	}
	return netip.AddrPort{}
}

// SetOption sets one of the matrix's options to 1; None sets nothing. An
// option this OS lacks is an error wrapping ErrUnsupported.
func (s Socket) SetOption(o matrix.Option) error {
	if o == matrix.None {
		return nil
	}
	name, exists := optionName(o)
	if !exists {
		return sysErr("setsockopt", unsupported(o))
	}
	return sysErr("setsockopt", unix.SetsockoptInt(s.FD(), unix.SOL_SOCKET, name, 1))
}

func (s Socket) Bind(ap netip.AddrPort) error {
	return sysErr("bind", unix.Bind(s.FD(), sockaddr(ap)))
}

func (s Socket) Listen() error { return sysErr("listen", unix.Listen(s.FD(), listenBacklog)) }

func (s Socket) Connect(ap netip.AddrPort) error {
	for {
		err := unix.Connect(s.FD(), sockaddr(ap))
		if err != unix.EINTR {
			return sysErr("connect", err)
		}
	}
}

func (s Socket) Accept() (Socket, error) {
	for {
		fd, err := acceptFD(s.FD())
		if err == unix.EINTR || err == unix.ECONNABORTED {
			continue
		}
		if err != nil {
			return Socket{}, sysErr("accept", err)
		}
		return Socket{fd: fd, proto: s.proto, open: true}, nil
	}
}

func (s Socket) LocalAddr() (netip.AddrPort, error) {
	sa, err := unix.Getsockname(s.FD())
	if err != nil {
		return netip.AddrPort{}, sysErr("getsockname", err)
	}
	return fromSockaddr(sa), nil
}

// Listening asks the kernel whether the socket accepts connections.
func (s Socket) Listening() (bool, error) {
	v, err := unix.GetsockoptInt(s.FD(), unix.SOL_SOCKET, unix.SO_ACCEPTCONN)
	return v != 0, sysErr("getsockopt", err)
}

// Close closes the socket; an invalid one is left alone.
func (s Socket) Close() error {
	if !s.Valid() {
		return nil
	}
	return sysErr("close", unix.Close(s.FD()))
}

// Abort closes a connected socket with a reset instead of a FIN, so that it
// leaves no TIME_WAIT entry behind.
func (s Socket) Abort() error {
	if !s.Valid() {
		return nil
	}
	unix.SetsockoptLinger(s.FD(), unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
	return s.Close()
}

// Send sends one datagram to ap.
func (s Socket) Send(ap netip.AddrPort) error {
	return sysErr("sendto", unix.Sendto(s.FD(), []byte{'x'}, 0, sockaddr(ap)))
}

// Drain takes whatever waits on a listening or datagram socket without
// blocking: connections are accepted and reset, datagrams read. It returns
// how many there were.
func (s Socket) Drain() (int, error) {
	if err := unix.SetNonblock(s.FD(), true); err != nil {
		return 0, sysErr("fcntl", err)
	}
	buf := make([]byte, 16)
	for n := 0; ; n++ {
		var err error
		if s.proto == matrix.UDP {
			_, _, err = unix.Recvfrom(s.FD(), buf, 0)
		} else {
			var fd int
			if fd, err = acceptFD(s.FD()); err == nil {
				Socket{fd: fd, open: true}.Abort()
			}
		}
		switch {
		case err == unix.EAGAIN || err == unix.EWOULDBLOCK:
			return n, nil
		case err == unix.EINTR || err == unix.ECONNABORTED:
			n--
		case err != nil:
			return n, sysErr("drain", err)
		}
	}
}

// V6Only says whether the IPv6 socket with descriptor fd (opened by
// anyone, Go's net package say) takes IPv6 only.
func V6Only(fd uintptr) (bool, error) {
	v, err := unix.GetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_V6ONLY)
	return v != 0, sysErr("getsockopt", err)
}

// ConnectWithin connects like Connect but gives up after patience: a
// listener whose queue is full drops the handshake, and a blocking connect
// would then wait for its retries for minutes. The socket is left
// non-blocking.
func (s Socket) ConnectWithin(ap netip.AddrPort, patience time.Duration) error {
	if err := unix.SetNonblock(s.FD(), true); err != nil {
		return sysErr("fcntl", err)
	}
	err := unix.Connect(s.FD(), sockaddr(ap))
	for err == unix.EINTR {
		err = unix.Connect(s.FD(), sockaddr(ap))
	}
	if err != unix.EINPROGRESS {
		return sysErr("connect", err)
	}
	deadline := time.Now().Add(patience)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("connect to %s: %w within %v", ap, ErrNoAnswer, patience)
		}
		fds := []unix.PollFd{{Fd: int32(s.FD()), Events: unix.POLLOUT}}
		n, err := unix.Poll(fds, int(left.Milliseconds())+1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return sysErr("poll", err)
		}
		if n > 0 {
			soerr, err := unix.GetsockoptInt(s.FD(), unix.SOL_SOCKET, unix.SO_ERROR)
			if err != nil {
				return sysErr("getsockopt", err)
			}
			if soerr != 0 {
				return sysErr("connect", unix.Errno(soerr))
			}
			return nil
		}
	}
}

// AcceptWithin accepts like Accept but gives up after patience: where
// several listeners share a port, a connection may reach another one, and
// a blocking accept would then wait forever.
func (s Socket) AcceptWithin(patience time.Duration) (Socket, error) {
	deadline := time.Now().Add(patience)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return Socket{}, fmt.Errorf("accept: %w within %v", ErrNoAnswer, patience)
		}
		fds := []unix.PollFd{{Fd: int32(s.FD()), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, int(left.Milliseconds())+1)
		switch {
		case err == unix.EINTR || err == nil && n == 0:
			continue
		case err != nil:
			return Socket{}, sysErr("poll", err)
		}
		return s.Accept()
	}
}

// Discard reads and drops whatever has arrived on a connected socket,
// without blocking, and returns how many bytes there were: a socket closed
// with unread data sends a reset instead of a FIN (RFC 2525, 2.17), and
// then neither side keeps a TIME_WAIT entry. A server that writes first
// (an SSH banner, an SMTP greeting) leaves such data.
func (s Socket) Discard() (int, error) {
	if err := unix.SetNonblock(s.FD(), true); err != nil {
		return 0, sysErr("fcntl", err)
	}
	buf := make([]byte, 4096)
	total := 0
	for {
		n, err := unix.Read(s.FD(), buf)
		switch {
		case err == unix.EINTR:
		case err == unix.EAGAIN || err == unix.EWOULDBLOCK || err == nil && n == 0:
			return total, nil
		case err != nil:
			return total, sysErr("read", err)
		default:
			total += n
		}
	}
}

// Poke sends one byte, a newline, on a connected socket: a listener with
// TCP_DEFER_ACCEPT (Apache's default AcceptFilter) keeps a connection in
// SYN_RECV, unaccepted, until data arrives; a line-based server skips an
// empty line.
func (s Socket) Poke() error {
	for {
		_, err := unix.Write(s.FD(), []byte{'\n'})
		if err != unix.EINTR {
			return sysErr("write", err)
		}
	}
}
