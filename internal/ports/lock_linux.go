package ports

import (
	"fmt"
	"io"

	"golang.org/x/sys/unix"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// lockPort claims port for this process among bindmatrix processes of the
// same user: a Unix socket bound to the abstract name
// @bindmatrix/UID/PROTO/PORT. The kernel frees the name when the socket
// closes or the process dies, so a crashed run leaves nothing behind; the
// abstract namespace belongs to the network namespace, like the ports it
// guards. The user's ID is in the name because anyone may bind any abstract
// name: another user squatting the names would otherwise make a run
// incomplete. Runs of different users still cannot share a port: the probe
// bind, and the first socket's own bind, see each other's sockets.
func lockPort(proto matrix.Proto, port uint16) (io.Closer, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("port lock: %w", err)
	}
	name := fmt.Sprintf("@bindmatrix/%d/%s/%d", unix.Geteuid(), proto, port)
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: name}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("port %d is in use by another bindmatrix process (%s: %w)", port, name, err)
	}
	return lockFD(fd), nil
}

type lockFD int

func (l lockFD) Close() error { return unix.Close(int(l)) }
