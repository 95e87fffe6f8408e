// Package sock opens raw sockets and sets the options the bind matrix is
// about, the same way on every OS: one file per OS family defines Socket and
// its calls, and callers never see a build tag (the layout of Go's net).
//
// Go's net package is not used: it sets SO_REUSEADDR on every Unix listener
// and options of its own elsewhere, and a socket whose option is "none" must
// set none. Nothing here keeps state between calls; every socket is the
// caller's to close.
package sock

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"runtime"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// ErrNoAnswer says a connect was not answered in time: the listener's
// queue is full, or nothing answers at all.
var ErrNoAnswer = errors.New("no answer")

// ErrUnsupported says this OS has no such socket or option.
var ErrUnsupported = errors.New("not supported on " + runtime.GOOS)

// listenBacklog holds every connection a delivery check sends at once.
const listenBacklog = 128

// Attempt is what a newcomer does to take a port: open a socket of fam, set
// opt, bind addr and, for TCP, listen, since a server needs both. The
// outcome is the answer, in the matrix's vocabulary; err says the attempt
// could not be made at all (socket() failed, out of descriptors say), which
// is no answer about the port. An option this OS lacks is unsupported, and
// no socket is made. The socket is returned in every case, for
// the caller to close; closing an invalid Socket does nothing.
func Attempt(fam matrix.SocketFamily, proto matrix.Proto, opt matrix.Option, addr netip.AddrPort) (s Socket, outcome matrix.Outcome, native int, err error) {
	if !OptionExists(opt) {
		return s, matrix.Unsupported, 0, nil
	}
	s, err = Open(fam, proto)
	if err != nil {
		return s, "", 0, err
	}
	if err := s.SetOption(opt); err != nil {
		outcome, native = Outcome(err)
		return s, outcome, native, nil
	}
	if err := s.Bind(addr); err != nil {
		outcome, native = Outcome(err)
		return s, outcome, native, nil
	}
	if proto == matrix.TCP {
		if err := s.Listen(); err != nil {
			outcome, native = Outcome(err)
			return s, outcome, native, nil
		}
	}
	return s, matrix.OK, 0, nil
}

// sysErr records which call failed, the way os.NewSyscallError does,
// keeping the errno for Outcome.
func sysErr(call string, err error) error {
	if err == nil {
		return nil
	}
	return os.NewSyscallError(call, err)
}

// Outcome names the failure of a setsockopt, bind or listen as the matrix
// does (bind:EADDRINUSE) with the OS's own error number. An error the OS
// cannot name is still reported, by number, so nothing hides behind a
// generic word.
func Outcome(err error) (matrix.Outcome, int) {
	call := "bind"
	var se *os.SyscallError
	if errors.As(err, &se) {
		call = se.Syscall
	}
	name, native, ok := errnoOf(err)
	if !ok {
		name = fmt.Sprintf("E%d", native)
	}
	return matrix.Failed(call, name), native
}
