package scenarios

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// socket is a raw Winsock handle. Go's net package is not used: it sets
// options of its own on its sockets, and the "none" cells need none.
type socket windows.Handle

const noSocket = socket(windows.InvalidHandle)

// soAcceptConn is SO_ACCEPTCONN from winsock2.h, which x/sys/windows lacks.
const soAcceptConn = 0x0002

var (
	wsaOnce sync.Once
	wsaErr  error

	// x/sys/windows has no accept (its Accept returns EWINDOWS) and no
	// ioctlsocket.
	ws2           = windows.NewLazySystemDLL("ws2_32.dll")
	procAccept    = ws2.NewProc("accept")
	procIoctlsock = ws2.NewProc("ioctlsocket")
)

// startWinsock initialises Winsock 2.2 once per process. The runtime's
// internal/poll does so too, but this package must not depend on that.
func startWinsock() error {
	wsaOnce.Do(func() {
		var data windows.WSAData
		wsaErr = sysErr("WSAStartup", windows.WSAStartup(0x0202, &data))
	})
	return wsaErr
}

func openSocket(fam family, proto matrix.Proto) (socket, error) {
	if err := startWinsock(); err != nil {
		return noSocket, err
	}
	domain := int32(windows.AF_INET)
	if fam != familyIPv4 {
		domain = windows.AF_INET6
	}
	// Not inheritable: a child process started meanwhile must not hold a
	// port of a cell (the CLOEXEC of the Unix files).
	typ, protocol := int32(windows.SOCK_STREAM), int32(windows.IPPROTO_TCP)
	if proto == matrix.UDP {
		typ, protocol = windows.SOCK_DGRAM, windows.IPPROTO_UDP
	}
	h, err := windows.WSASocket(domain, typ, protocol, nil, 0, windows.WSA_FLAG_NO_HANDLE_INHERIT)
	if err != nil {
		return noSocket, sysErr("socket", err)
	}
	s := socket(h)
	if fam != familyIPv4 {
		v6only := 0
		if fam == familyIPv6 {
			v6only = 1
		}
		if err := s.setInt(windows.IPPROTO_IPV6, windows.IPV6_V6ONLY, v6only); err != nil {
			s.close()
			return noSocket, err
		}
	}
	return s, nil
}

func sockaddr(ap netip.AddrPort) windows.Sockaddr {
	if ap.Addr().Is4() {
		return &windows.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
	}
	return &windows.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
}

func fromSockaddr(sa windows.Sockaddr) netip.AddrPort {
	switch sa := sa.(type) {
	case *windows.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *windows.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), uint16(sa.Port))
	}
	return netip.AddrPort{}
}

func (s socket) bind(ap netip.AddrPort) error {
	return sysErr("bind", windows.Bind(windows.Handle(s), sockaddr(ap)))
}

// listenBacklog holds every connection a delivery check sends at once.
const listenBacklog = 128

func (s socket) listen() error {
	return sysErr("listen", windows.Listen(windows.Handle(s), listenBacklog))
}

func (s socket) connect(ap netip.AddrPort) error {
	return sysErr("connect", windows.Connect(windows.Handle(s), sockaddr(ap)))
}

func (s socket) accept() (socket, error) {
	h, _, err := procAccept.Call(uintptr(s), 0, 0)
	if windows.Handle(h) == windows.InvalidHandle {
		if err == nil {
			err = fmt.Errorf("accept failed without an error code")
		}
		return noSocket, sysErr("accept", err)
	}
	return socket(h), nil
}

func (s socket) localAddr() (netip.AddrPort, error) {
	sa, err := windows.Getsockname(windows.Handle(s))
	if err != nil {
		return netip.AddrPort{}, sysErr("getsockname", err)
	}
	return fromSockaddr(sa), nil
}

// listening asks Winsock whether the socket accepts connections.
func (s socket) listening() (bool, error) {
	v, err := windows.GetsockoptInt(windows.Handle(s), windows.SOL_SOCKET, soAcceptConn)
	return v != 0, sysErr("getsockopt", err)
}

func (s socket) setInt(level, name, value int) error {
	return sysErr("setsockopt", windows.SetsockoptInt(windows.Handle(s), level, name, value))
}

func (s socket) close() error {
	if s == noSocket {
		return nil
	}
	return sysErr("closesocket", windows.Closesocket(windows.Handle(s)))
}

// abort closes a connected socket with a reset instead of a FIN, so that it
// leaves no TIME_WAIT entry behind to disturb later cells.
func (s socket) abort() error {
	if s == noSocket {
		return nil
	}
	windows.SetsockoptLinger(windows.Handle(s), windows.SOL_SOCKET, windows.SO_LINGER, &windows.Linger{Onoff: 1, Linger: 0})
	return s.close()
}

// send sends one datagram to ap.
func (s socket) send(ap netip.AddrPort) error {
	return sysErr("sendto", windows.Sendto(windows.Handle(s), []byte{'x'}, 0, sockaddr(ap)))
}

// fionbio is FIONBIO from winsock2.h: _IOW('f', 126, u_long).
const fionbio = 0x8004667e

// drain takes whatever is waiting on a listening or datagram socket without
// blocking: connections are accepted and reset, datagrams read. It returns
// how many there were.
func (s socket) drain(proto matrix.Proto) (int, error) {
	on := uint32(1)
	if r, _, err := procIoctlsock.Call(uintptr(s), fionbio, uintptr(unsafe.Pointer(&on))); r != 0 {
		return 0, sysErr("ioctlsocket", err)
	}
	buf := make([]byte, 16)
	for n := 0; ; n++ {
		var err error
		if proto == matrix.UDP {
			_, _, err = windows.Recvfrom(windows.Handle(s), buf, 0)
		} else {
			var c socket
			if c, err = s.accept(); err == nil {
				c.abort()
			}
		}
		switch {
		case errors.Is(err, windows.WSAEWOULDBLOCK):
			return n, nil
		case err != nil:
			return n, sysErr("drain", err)
		}
	}
}
