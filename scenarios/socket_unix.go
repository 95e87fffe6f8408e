//go:build linux || darwin || freebsd

package scenarios

import (
	"net/netip"

	"golang.org/x/sys/unix"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// socket is a raw descriptor: Go's net package would set SO_REUSEADDR on
// every listener, and the "none" cells need none.
type socket int

const noSocket socket = -1

func openSocket(fam family, proto matrix.Proto) (socket, error) {
	domain := unix.AF_INET
	if fam != familyIPv4 {
		domain = unix.AF_INET6
	}
	typ := unix.SOCK_STREAM
	if proto == matrix.UDP {
		typ = unix.SOCK_DGRAM
	}
	fd, err := newFD(domain, typ)
	if err != nil {
		return noSocket, sysErr("socket", err)
	}
	s := socket(fd)
	if fam != familyIPv4 {
		v6only := 0
		if fam == familyIPv6 {
			v6only = 1
		}
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v6only); err != nil {
			s.close()
			return noSocket, sysErr("setsockopt", err)
		}
	}
	return s, nil
}

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

func (s socket) bind(ap netip.AddrPort) error {
	return sysErr("bind", unix.Bind(int(s), sockaddr(ap)))
}

// listenBacklog holds every connection a delivery check sends at once.
const listenBacklog = 128

func (s socket) listen() error { return sysErr("listen", unix.Listen(int(s), listenBacklog)) }

func (s socket) connect(ap netip.AddrPort) error {
	return sysErr("connect", unix.Connect(int(s), sockaddr(ap)))
}

func (s socket) accept() (socket, error) {
	for {
		fd, err := acceptFD(int(s))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return noSocket, sysErr("accept", err)
		}
		return socket(fd), nil
	}
}

func (s socket) localAddr() (netip.AddrPort, error) {
	sa, err := unix.Getsockname(int(s))
	if err != nil {
		return netip.AddrPort{}, sysErr("getsockname", err)
	}
	return fromSockaddr(sa), nil
}

// listening asks the kernel whether the socket accepts connections.
func (s socket) listening() (bool, error) {
	v, err := unix.GetsockoptInt(int(s), unix.SOL_SOCKET, unix.SO_ACCEPTCONN)
	return v != 0, sysErr("getsockopt", err)
}

func (s socket) setInt(level, name, value int) error {
	return sysErr("setsockopt", unix.SetsockoptInt(int(s), level, name, value))
}

func (s socket) close() error {
	if s == noSocket {
		return nil
	}
	return sysErr("close", unix.Close(int(s)))
}

// abort closes a connected socket with a reset instead of a FIN, so that it
// leaves no TIME_WAIT entry behind to disturb later cells.
func (s socket) abort() error {
	if s == noSocket {
		return nil
	}
	unix.SetsockoptLinger(int(s), unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
	return s.close()
}

// send sends one datagram to ap.
func (s socket) send(ap netip.AddrPort) error {
	return sysErr("sendto", unix.Sendto(int(s), []byte{'x'}, 0, sockaddr(ap)))
}

// drain takes whatever is waiting on a listening or datagram socket without
// blocking: connections are accepted and reset, datagrams read. It returns
// how many there were.
func (s socket) drain(proto matrix.Proto) (int, error) {
	if err := unix.SetNonblock(int(s), true); err != nil {
		return 0, sysErr("fcntl", err)
	}
	buf := make([]byte, 16)
	for n := 0; ; n++ {
		var err error
		if proto == matrix.UDP {
			_, _, err = unix.Recvfrom(int(s), buf, 0)
		} else {
			var fd int
			if fd, err = acceptFD(int(s)); err == nil {
				socket(fd).abort()
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
