package scenarios

import (
	"errors"
	"fmt"
	"sync"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// portBook hands out ports for cells. A port is only given to a cell when no
// TCP socket of either family holds it, TIME_WAIT entries included, and no
// other cell of this run is using it.
//
// Why not let the first socket bind port 0: with SO_REUSEADDR set, or for the
// other family, the kernel may hand out a port that still has TIME_WAIT
// entries from an earlier cell, and the cell then measures those leftovers
// (closed cells flip between ok and EADDRINUSE from run to run). A plain
// socket's bind(0) skips such ports, so a plain probe picks the port and the
// first socket binds it explicitly.
//
// The probe cannot see TIME_WAIT entries where a plain bind ignores them
// (Windows, and Wine on top of it), so the book also remembers the ports
// this run's own time_wait cells left behind and never hands them out again.
type portBook struct {
	mu      sync.Mutex
	inUse   map[uint16]bool
	tainted map[uint16]bool // left in TIME_WAIT by an earlier cell
}

func newPortBook() *portBook {
	return &portBook{inUse: map[uint16]bool{}, tainted: map[uint16]bool{}}
}

// errPortBusy says the port was taken between the probe and the first bind,
// by another cell or another process; the caller takes another port.
var errPortBusy = errors.New("port taken between probe and bind")

const portTries = 20

// take finds a port clean for proto and reserves it until release.
func (b *portBook) take(proto matrix.Proto) (uint16, error) {
	var last error
	for range portTries {
		port, err := probeFreePort(proto, 0)
		if err != nil {
			last = err
			continue
		}
		b.mu.Lock()
		busy := b.inUse[port] || b.tainted[port]
		if !busy {
			b.inUse[port] = true
		}
		b.mu.Unlock()
		if !busy {
			return port, nil
		}
		last = fmt.Errorf("port %d is in use by another cell", port)
	}
	return 0, fmt.Errorf("no clean port after %d tries: %v", portTries, last)
}

// release gives a port back; taint says the cell left TIME_WAIT entries on it.
func (b *portBook) release(port uint16, taint bool) {
	b.mu.Lock()
	delete(b.inUse, port)
	if taint {
		b.tainted[port] = true
	}
	b.mu.Unlock()
}

// probeFreePort binds plain (option-less) sockets of proto on the IPv4 and
// IPv6 wildcard addresses to port, or to a port the kernel chooses when port
// is 0, and closes them again. Success means no socket of either family
// holds the port. It returns the port.
func probeFreePort(proto matrix.Proto, port uint16) (uint16, error) {
	v4, err := openSocket(familyIPv4, proto)
	if err != nil {
		return 0, err
	}
	defer v4.close()
	if err := v4.bind(address(familyIPv4, matrix.Wildcard, port)); err != nil {
		return 0, err
	}
	got, err := v4.localAddr()
	if err != nil {
		return 0, err
	}
	v6, err := openSocket(familyIPv6, proto)
	if err != nil {
		return 0, err
	}
	defer v6.close()
	if err := v6.bind(address(familyIPv6, matrix.Wildcard, got.Port())); err != nil {
		return 0, err
	}
	return got.Port(), nil
}
