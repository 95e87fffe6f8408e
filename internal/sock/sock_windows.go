package sock

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// Socket is a raw Winsock handle and the protocol it was opened for. The
// zero Socket is not open; closing it does nothing.
type Socket struct {
	h     windows.Handle
	proto matrix.Proto
	open  bool
}

// soAcceptConn and soError are SO_ACCEPTCONN and SO_ERROR from winsock2.h,
// which x/sys/windows lacks.
const (
	soAcceptConn = 0x0002
	soError      = 0x1007
)

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

// Open opens a socket; an IPv6 one sets IPV6_V6ONLY to 1 (SockIPv6) or 0
// (SockDualStack). It is not inheritable: a child process started meanwhile
// must not hold somebody else's port (the CLOEXEC of the Unix files).
func Open(fam matrix.SocketFamily, proto matrix.Proto) (Socket, error) {
	if err := startWinsock(); err != nil {
		return Socket{}, err
	}
	domain := int32(windows.AF_INET)
	if fam != matrix.SockIPv4 {
		domain = windows.AF_INET6
	}
	typ, protocol := int32(windows.SOCK_STREAM), int32(windows.IPPROTO_TCP)
	if proto == matrix.UDP {
		typ, protocol = windows.SOCK_DGRAM, windows.IPPROTO_UDP
	}
	h, err := windows.WSASocket(domain, typ, protocol, nil, 0, windows.WSA_FLAG_NO_HANDLE_INHERIT)
	if err != nil {
		return Socket{}, sysErr("socket", err)
	}
	s := Socket{h: h, proto: proto, open: true}
	if fam != matrix.SockIPv4 {
		v6only := 0
		if fam == matrix.SockIPv6 {
			v6only = 1
		}
		if err := windows.SetsockoptInt(h, windows.IPPROTO_IPV6, windows.IPV6_V6ONLY, v6only); err != nil {
			s.Close()
			return Socket{}, sysErr("setsockopt", err)
		}
	}
	return s, nil
}

// Valid says the socket is open.
func (s Socket) Valid() bool { return s.open }

// Handle is the socket handle, for a call this package does not make.
func (s Socket) Handle() windows.Handle { return s.h }

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

// SetOption sets one of the matrix's options to 1; None sets nothing. An
// option Windows lacks is an error wrapping ErrUnsupported.
func (s Socket) SetOption(o matrix.Option) error {
	if o == matrix.None {
		return nil
	}
	name, exists := optionName(o)
	if !exists {
		return sysErr("setsockopt", fmt.Errorf("%s: %w", o, ErrUnsupported))
	}
	return sysErr("setsockopt", windows.SetsockoptInt(s.h, windows.SOL_SOCKET, name, 1))
}

func (s Socket) Bind(ap netip.AddrPort) error {
	return sysErr("bind", windows.Bind(s.h, sockaddr(ap)))
}

func (s Socket) Listen() error { return sysErr("listen", windows.Listen(s.h, listenBacklog)) }

func (s Socket) Connect(ap netip.AddrPort) error {
	return sysErr("connect", windows.Connect(s.h, sockaddr(ap)))
}

func (s Socket) Accept() (Socket, error) {
	h, _, err := procAccept.Call(uintptr(s.h), 0, 0)
	if windows.Handle(h) == windows.InvalidHandle {
		if err == nil {
			err = fmt.Errorf("accept failed without an error code")
		}
		return Socket{}, sysErr("accept", err)
	}
	return Socket{h: windows.Handle(h), proto: s.proto, open: true}, nil
}

func (s Socket) LocalAddr() (netip.AddrPort, error) {
	sa, err := windows.Getsockname(s.h)
	if err != nil {
		return netip.AddrPort{}, sysErr("getsockname", err)
	}
	return fromSockaddr(sa), nil
}

// Listening asks Winsock whether the socket accepts connections.
func (s Socket) Listening() (bool, error) {
	v, err := windows.GetsockoptInt(s.h, windows.SOL_SOCKET, soAcceptConn)
	return v != 0, sysErr("getsockopt", err)
}

// Close closes the socket; an invalid one is left alone.
func (s Socket) Close() error {
	if !s.open {
		return nil
	}
	return sysErr("closesocket", windows.Closesocket(s.h))
}

// Abort closes a connected socket with a reset instead of a FIN, so that it
// leaves no TIME_WAIT entry behind.
func (s Socket) Abort() error {
	if !s.open {
		return nil
	}
	windows.SetsockoptLinger(s.h, windows.SOL_SOCKET, windows.SO_LINGER, &windows.Linger{Onoff: 1, Linger: 0})
	return s.Close()
}

// Send sends one datagram to ap.
func (s Socket) Send(ap netip.AddrPort) error {
	return sysErr("sendto", windows.Sendto(s.h, []byte{'x'}, 0, sockaddr(ap)))
}

// fionbio is FIONBIO from winsock2.h: _IOW('f', 126, u_long).
const fionbio = 0x8004667e

// Drain takes whatever waits on a listening or datagram socket without
// blocking: connections are accepted and reset, datagrams read. It returns
// how many there were.
func (s Socket) Drain() (int, error) {
	on := uint32(1)
	if r, _, err := procIoctlsock.Call(uintptr(s.h), fionbio, uintptr(unsafe.Pointer(&on))); r != 0 {
		return 0, sysErr("ioctlsocket", err)
	}
	buf := make([]byte, 16)
	for n := 0; ; n++ {
		var err error
		if s.proto == matrix.UDP {
			_, _, err = windows.Recvfrom(s.h, buf, 0)
		} else {
			var c Socket
			if c, err = s.Accept(); err == nil {
				c.Abort()
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

// V6Only says whether the IPv6 socket with handle fd (opened by anyone,
// Go's net package say) takes IPv6 only.
func V6Only(fd uintptr) (bool, error) {
	v, err := windows.GetsockoptInt(windows.Handle(fd), windows.IPPROTO_IPV6, windows.IPV6_V6ONLY)
	return v != 0, sysErr("getsockopt", err)
}

var procWSAPoll = ws2.NewProc("WSAPoll")

// wsaPollFD is WSAPOLLFD from winsock2.h.
type wsaPollFD struct {
	fd      windows.Handle
	events  int16
	revents int16
}

// pollWrNorm is POLLWRNORM: the socket can be written to, so the connect
// finished one way or the other.
const pollWrNorm = 0x0010

// ConnectWithin connects like Connect but gives up after patience: a
// listener whose queue is full drops the handshake, and a blocking connect
// would then wait for its retries. The socket is left non-blocking.
func (s Socket) ConnectWithin(ap netip.AddrPort, patience time.Duration) error {
	on := uint32(1)
	if r, _, err := procIoctlsock.Call(uintptr(s.h), fionbio, uintptr(unsafe.Pointer(&on))); r != 0 {
		return sysErr("ioctlsocket", err)
	}
	err := windows.Connect(s.h, sockaddr(ap))
	if !errors.Is(err, windows.WSAEWOULDBLOCK) {
		return sysErr("connect", err)
	}
	fds := []wsaPollFD{{fd: s.h, events: pollWrNorm}}
	// int WSAPoll(LPWSAPOLLFD fdArray, ULONG fds, INT timeout)
	n, _, perr := procWSAPoll.Call(uintptr(unsafe.Pointer(&fds[0])), 1, uintptr(patience.Milliseconds()+1))
	switch int32(n) {
	case 0:
		return fmt.Errorf("connect to %s: %w within %v", ap, ErrNoAnswer, patience)
	case -1:
		return sysErr("WSAPoll", perr)
	}
	soerr, err := windows.GetsockoptInt(s.h, windows.SOL_SOCKET, soError)
	if err != nil {
		return sysErr("getsockopt", err)
	}
	if soerr != 0 {
		return sysErr("connect", windows.Errno(soerr))
	}
	return nil
}

// pollRdNorm is POLLRDNORM: a listener has a connection to accept
// (documented: Microsoft's WSAPoll and WSAPOLLFD pages; run here only
// under Wine).
const pollRdNorm = 0x0100

// AcceptWithin accepts like Accept but gives up after patience: where
// several listeners share a port, a connection may reach another one, and
// a blocking accept would then wait forever.
func (s Socket) AcceptWithin(patience time.Duration) (Socket, error) {
	fds := []wsaPollFD{{fd: s.h, events: pollRdNorm}}
	n, _, perr := procWSAPoll.Call(uintptr(unsafe.Pointer(&fds[0])), 1, uintptr(patience.Milliseconds()+1))
	switch int32(n) {
	case 0:
		return Socket{}, fmt.Errorf("accept: %w within %v", ErrNoAnswer, patience)
	case -1:
		return Socket{}, sysErr("WSAPoll", perr)
	}
	return s.Accept()
}

var procSend = ws2.NewProc("send")

// Discard reads and drops whatever has arrived on a connected socket,
// without blocking, and returns how many bytes there were: a socket closed
// with unread data sends a reset instead of a FIN, and then neither side
// keeps a TIME_WAIT entry.
func (s Socket) Discard() (int, error) {
	on := uint32(1)
	if r, _, err := procIoctlsock.Call(uintptr(s.h), fionbio, uintptr(unsafe.Pointer(&on))); r != 0 {
		return 0, sysErr("ioctlsocket", err)
	}
	buf := make([]byte, 4096)
	total := 0
	for {
		n, _, err := windows.Recvfrom(s.h, buf, 0)
		switch {
		case errors.Is(err, windows.WSAEWOULDBLOCK) || err == nil && n == 0:
			return total, nil
		case err != nil:
			return total, sysErr("recv", err)
		}
		total += n
	}
}

// Poke sends one byte, a newline, on a connected socket: a listener that
// accepts only once data arrives gets some.
func (s Socket) Poke() error {
	b := byte('\n')
	if r, _, err := procSend.Call(uintptr(s.h), uintptr(unsafe.Pointer(&b)), 1, 0); int32(r) == -1 {
		return sysErr("send", err)
	}
	return nil
}
