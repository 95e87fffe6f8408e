//go:build !unix && !windows

package sock

import (
	"net/netip"
	"time"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// Socket: bindmatrix has no socket code for this OS yet. Every call fails
// with ErrUnsupported and no option exists, so that a run here reports its
// cells unsupported instead of guessing. Adding the OS is adding its files.
type Socket struct{}

func Open(fam matrix.SocketFamily, proto matrix.Proto) (Socket, error) {
	return Socket{}, sysErr("socket", ErrUnsupported)
}

// OptionExists is false for every option, None included: no socket can be made.
func OptionExists(o matrix.Option) bool { return false }

func (s Socket) Valid() bool                        { return false }
func (s Socket) SetOption(o matrix.Option) error    { return sysErr("setsockopt", ErrUnsupported) }
func (s Socket) Bind(ap netip.AddrPort) error       { return sysErr("bind", ErrUnsupported) }
func (s Socket) Listen() error                      { return sysErr("listen", ErrUnsupported) }
func (s Socket) Connect(ap netip.AddrPort) error    { return sysErr("connect", ErrUnsupported) }
func (s Socket) Accept() (Socket, error)            { return Socket{}, sysErr("accept", ErrUnsupported) }
func (s Socket) LocalAddr() (netip.AddrPort, error) { return netip.AddrPort{}, ErrUnsupported }
func (s Socket) Listening() (bool, error)           { return false, ErrUnsupported }
func (s Socket) Close() error                       { return nil }
func (s Socket) Abort() error                       { return nil }
func (s Socket) Send(ap netip.AddrPort) error       { return sysErr("sendto", ErrUnsupported) }
func (s Socket) Drain() (int, error)                { return 0, ErrUnsupported }
func (s Socket) Discard() (int, error)              { return 0, ErrUnsupported }
func (s Socket) Poke() error                        { return sysErr("write", ErrUnsupported) }

func errnoOf(err error) (name string, native int, ok bool) { return "", 0, false }

func V6Only(fd uintptr) (bool, error) { return false, ErrUnsupported }

func (s Socket) ConnectWithin(ap netip.AddrPort, patience time.Duration) error {
	return sysErr("connect", ErrUnsupported)
}

func (s Socket) AcceptWithin(patience time.Duration) (Socket, error) {
	return Socket{}, sysErr("accept", ErrUnsupported)
}
