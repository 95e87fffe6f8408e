package scenarios

import (
	"errors"
	"fmt"
	"io"
	"strings"
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
//
// Other bindmatrix processes run cells too (CI runs test packages in
// parallel; two users may run it at once). Where the OS offers a lock that
// dies with its process, a port is also locked for them: see portLock.
type portBook struct {
	mu      sync.Mutex
	inUse   map[uint16]io.Closer // the port's lock, until release
	tainted map[uint16]bool      // left in TIME_WAIT by an earlier cell
}

func newPortBook() *portBook {
	return &portBook{inUse: map[uint16]io.Closer{}, tainted: map[uint16]bool{}}
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
		_, busy := b.inUse[port]
		busy = busy || b.tainted[port]
		var lock io.Closer
		if !busy {
			if lock, err = portLock(proto, port); err == nil {
				b.inUse[port] = lock
			}
		}
		b.mu.Unlock()
		switch {
		case busy:
			last = fmt.Errorf("port %d is in use by another cell", port)
		case err != nil:
			last = err
		default:
			return port, nil
		}
	}
	return 0, fmt.Errorf("no clean port after %d tries: %v", portTries, last)
}

// release gives a port back; taint says the cell left TIME_WAIT entries on it.
func (b *portBook) release(port uint16, taint bool) {
	b.mu.Lock()
	if lock := b.inUse[port]; lock != nil {
		lock.Close()
	}
	delete(b.inUse, port)
	if taint {
		b.tainted[port] = true
	}
	b.mu.Unlock()
}

// probeFreePort binds plain (option-less) sockets of proto on the IPv4,
// IPv6 and dual-stack wildcard addresses to port, or to a port the kernel
// chooses when port is 0, and closes them again. Success means no socket of
// either family holds the port. It returns the port.
func probeFreePort(proto matrix.Proto, port uint16) (uint16, error) {
	// One after the other: the dual-stack probe would conflict with the
	// other two. It is the one that sees a socket bound to a v4-mapped
	// address.
	for _, fam := range probeFamilies {
		got, err := probeBind(fam, proto, port)
		if err != nil {
			return 0, err
		}
		port = got
	}
	return port, nil
}

// probeBind binds a plain socket to the wildcard address and port, closes
// it, and returns the port it had.
func probeBind(fam family, proto matrix.Proto, port uint16) (uint16, error) {
	s, err := openSocket(fam, proto)
	if err != nil {
		return 0, err
	}
	defer s.close()
	if err := s.bind(address(fam, matrix.Wildcard, port)); err != nil {
		return 0, err
	}
	got, err := s.localAddr()
	return got.Port(), err
}

// probeEvidence says which probe binds proved a port free, as evidence.
func probeEvidence(proto matrix.Proto, port uint16) string {
	var binds []string
	for _, fam := range probeFamilies {
		a := address(fam, matrix.Wildcard, port).String()
		switch fam {
		case familyIPv6:
			a += " (IPv6-only)"
		case familyDualStack:
			a += " (dual-stack)"
		}
		binds = append(binds, a)
	}
	noun := "bind"
	if len(binds) > 1 {
		noun = "binds"
	}
	return fmt.Sprintf("plain %s %s of %s succeeded", proto, noun, strings.Join(binds, ", "))
}
