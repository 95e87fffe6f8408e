// Package ports hands out clean ports for cells of the bind matrix and for
// tests: a port nothing holds, TIME_WAIT entries included, that no other
// user of the same Book holds, and (where the OS offers a lock that dies
// with its process) no other bindmatrix process either.
//
// The ports lie outside the ephemeral range, where the kernel never picks
// one by itself: no connect() of anyone takes a cell's port as its source
// between the first socket's close and the second bind (a closed cell would
// then fail), no bind(0) of another program lands on it (a same-user socket
// with SO_REUSEADDR and SO_REUSEPORT there lets a SO_REUSEPORT bind pass a
// TIME_WAIT entry), and no connect() recycles a cell's TIME_WAIT entry
// (tcp_tw_reuse). A plain probe bind of the chosen port proves that nothing,
// TIME_WAIT entries included, holds it.
package ports

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"

	"github.com/bindmatrix/bindmatrix/internal/sock"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// Book remembers the ports handed out and not yet given back. The probe
// cannot see TIME_WAIT entries where a plain bind ignores them (Windows, and
// Wine on top of it), so the Book also remembers the ports its users said
// they left in TIME_WAIT (Release with taint), never hands them out again,
// and keeps their locks until Close, so that no other run takes them either.
type Book struct {
	mu      sync.Mutex
	inUse   map[uint16]io.Closer // the port's lock, until Release
	tainted map[uint16]io.Closer // the port's lock, until Close
}

// NewBook starts an empty book.
func NewBook() *Book {
	return &Book{inUse: map[uint16]io.Closer{}, tainted: map[uint16]io.Closer{}}
}

// ErrNoCleanPort says no clean port was found in a few tries: others hold
// every port tried.
var ErrNoCleanPort = errors.New("no clean port")

const tries = 40

// Take finds a port clean for proto and reserves it until Release. The lock
// comes before the probe: a probe first could pass while another run held
// the port, and that run could use it and let go before the lock.
func (b *Book) Take(proto matrix.Proto) (uint16, error) {
	var last error
	for range tries {
		port := candidate()
		if port == 0 { // the ephemeral range covers every port: the kernel picks
			var err error
			if port, err = Probe(proto, 0); err != nil {
				last = err
				continue
			}
		}
		if err := b.reserve(proto, port); err != nil {
			last = err
			continue
		}
		if _, err := Probe(proto, port); err != nil {
			b.Release(port, false)
			last = err
			continue
		}
		return port, nil
	}
	return 0, fmt.Errorf("%w after %d tries: %v", ErrNoCleanPort, tries, last)
}

// reserve books port for proto, unless a cell of this book holds it or left
// TIME_WAIT entries on it, and locks it against other runs.
func (b *Book) reserve(proto matrix.Proto, port uint16) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, busy := b.inUse[port]; busy {
		return fmt.Errorf("port %d is in use by another cell", port)
	}
	if _, left := b.tainted[port]; left {
		return fmt.Errorf("port %d holds TIME_WAIT entries of an earlier cell", port)
	}
	lock, err := lockPort(proto, port)
	if err != nil {
		return err
	}
	b.inUse[port] = lock
	return nil
}

// Release gives a port back; taint says its user left TIME_WAIT entries on
// it that could not be removed: the port then stays locked until Close.
func (b *Book) Release(port uint16, taint bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	lock := b.inUse[port]
	delete(b.inUse, port)
	switch {
	case taint:
		b.tainted[port] = lock
	case lock != nil:
		lock.Close()
	}
}

// Close lets go of the locks of tainted ports, at the end of a run; the
// book still refuses those ports.
func (b *Book) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for port, lock := range b.tainted {
		if lock != nil {
			lock.Close()
			b.tainted[port] = nil
		}
	}
}

// probe is one bind a free port must pass: a plain socket of a family on
// an address.
type probe struct {
	family matrix.SocketFamily
	addr   matrix.AddrKind
}

// Probe makes the binds of probes with plain (option-less) sockets of
// proto, to port or to a port the kernel chooses when port is 0, and
// closes them again. Success means no socket the matrix could meet holds
// the port. It returns the port.
func Probe(proto matrix.Proto, port uint16) (uint16, error) {
	// One after the other: a dual-stack probe would conflict with an IPv4
	// one. It is the one that sees a socket bound to a v4-mapped address.
	for _, p := range probes {
		got, err := probeBind(p, proto, port)
		if err != nil {
			return 0, err
		}
		port = got
	}
	return port, nil
}

// probeBind binds a plain socket to the probe's address and port, closes
// it, and returns the port it had: port itself, unless the kernel chose
// (port 0). Only then is getsockname asked, which costs as much as the
// bind under Wine.
func probeBind(p probe, proto matrix.Proto, port uint16) (uint16, error) {
	s, err := sock.Open(p.family, proto)
	if err != nil {
		return 0, err
	}
	defer s.Close()
	if err := s.Bind(sock.Addr(p.family, p.addr, port)); err != nil {
		return 0, err
	}
	if port != 0 {
		return port, nil
	}
	got, err := s.LocalAddr()
	return got.Port(), err
}

// ProbeEvidence says which probe binds proved a port free, as evidence.
func ProbeEvidence(proto matrix.Proto, port uint16) string {
	var binds []string
	for _, p := range probes {
		a := sock.Addr(p.family, p.addr, port).String()
		switch p.family {
		case matrix.SockIPv6:
			a += " (IPv6-only)"
		case matrix.SockDualStack:
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

// candidate picks a port at random outside the ephemeral range; 0 (the
// kernel picks) where the range leaves none.
func candidate() uint16 {
	lo, hi := ephemeralRange()
	const first = 1024 // the first port an unprivileged user may bind
	below, above := max(int(lo)-first, 0), max(65535-int(hi), 0)
	if below+above == 0 {
		return 0
	}
	n := rand.IntN(below + above)
	if n < below {
		return uint16(first + n)
	}
	return uint16(int(hi) + 1 + n - below)
}
