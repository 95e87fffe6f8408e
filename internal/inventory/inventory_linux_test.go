package inventory

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// TestASocketInFlightHasNoHolderButIsNotUnrecorded: a bound UDP socket
// whose only descriptor is in a unix socket's queue, on its way to
// another process, is held by no process, so no holder is found; Linux
// records owners, so it is not Unrecorded. The audit once took such a
// socket (another test's, closing) for its server's and attacked it.
func TestASocketInFlightHasNoHolderButIsNotUnrecorded(t *testing.T) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		unix.Close(fd)
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		unix.Close(fd)
		t.Fatal(err)
	}
	port := uint16(sa.(*unix.SockaddrInet4).Port)
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		unix.Close(fd)
		t.Fatal(err)
	}
	defer unix.Close(pair[1]) // closing the receiving end frees the socket in flight
	defer unix.Close(pair[0])
	err = unix.Sendmsg(pair[0], []byte{0}, unix.UnixRights(fd), nil, 0)
	unix.Close(fd)
	if err != nil {
		t.Fatal(err)
	}
	got, err := List(Filter{Protos: []matrix.Proto{matrix.UDP}, Port: port})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("port %d: %+v, want the socket in flight", port, got)
	}
	if s := got[0]; len(s.PIDs) != 0 || s.Unknown == "" || s.Unrecorded {
		t.Errorf("socket in flight: %+v, want no holder, a reason, and not Unrecorded", s)
	}
}
