// Package walk puts a socket into one of the states the bind matrix asks
// about (bound, listening, established, TIME_WAIT, closed) on a given port
// and proves it: from the socket itself (getsockname, SO_ACCEPTCONN), from
// the kernel's connection table through a witness, or by a probe bind.
// Nothing is assumed: a state that cannot be proven is an error.
//
// The matrix walks its first socket with it; tests walk sockets of their
// own. It is not a runner: choosing ports and retrying belong to callers.
package walk

import (
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"time"

	"github.com/bindmatrix/bindmatrix/internal/ports"
	"github.com/bindmatrix/bindmatrix/internal/sock"
	"github.com/bindmatrix/bindmatrix/internal/socktable"
	"github.com/bindmatrix/bindmatrix/internal/witness"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// Spec is the socket to walk: how it is opened, which option it sets, the
// address kind it binds and the state it must reach.
type Spec struct {
	Proto  matrix.Proto
	Family matrix.SocketFamily
	Addr   matrix.AddrKind
	Option matrix.Option
	State  matrix.State
	// AcceptPatience bounds the wait for the walk's own connection to
	// reach its listener; zero is acceptPatience. On loopback the
	// connection is queued before connect returns, unless another
	// listener took it.
	AcceptPatience time.Duration
}

// ErrPortTaken says the bind failed: another socket took the port since it
// was chosen. The caller tries another port.
var ErrPortTaken = errors.New("port taken between probe and bind")

// Held is a socket walked into its state, with everything it took to get
// there. Release gives it all back.
type Held struct {
	Spec     Spec
	Port     uint16
	Evidence string      // what proved the state
	Receiver sock.Socket // the listener (TCP) or bound socket (UDP) traffic may reach; invalid in other states
	// Connection is the accepted side's tuple in established and
	// time_wait: the entry whose state was proven.
	Connection socktable.Entry

	witness witness.Witness
	open    []sock.Socket // closed at release
	conns   []sock.Socket // connected sockets, reset at release
	// pending says the connection's state waits for Prove (Prepare).
	pending bool
	// shared says other sockets of the caller share the port (Adopt):
	// another listener on the address is theirs, not one that survived.
	shared bool
}

// Walk binds a socket as spec says to port and walks it into spec.State,
// proving the state with w. The returned Held is never nil once the bind
// succeeded, even with an error: Release it. A failed bind returns nil and
// an error wrapping ErrPortTaken.
func Walk(spec Spec, port uint16, w witness.Witness) (*Held, error) {
	h, err := Prepare(spec, port, w)
	if err != nil || !h.Pending() {
		return h, err
	}
	return h, h.Prove(nil)
}

// Prepare does what Walk does, but where w reads whole tables for any
// question (a witness.Snapshotter) it leaves an established or TIME_WAIT
// connection's proof to Prove: walks prepared together are then proven
// from one read of the tables, not a read each (milliseconds under Wine).
func Prepare(spec Spec, port uint16, w witness.Witness) (*Held, error) {
	_, costly := w.(witness.Snapshotter)
	h := &Held{Spec: spec, Port: port, witness: w, pending: costly}
	s, err := sock.Open(spec.Family, spec.Proto)
	if err != nil {
		return nil, fmt.Errorf("first socket: %w", err)
	}
	if err := s.SetOption(spec.Option); err != nil {
		s.Close()
		return nil, fmt.Errorf("first socket: %w", err)
	}
	local := sock.Addr(spec.Family, spec.Addr, port)
	if err := s.Bind(local); err != nil {
		s.Close()
		return nil, fmt.Errorf("first socket: %w: %v", ErrPortTaken, err)
	}
	h.open = append(h.open, s)
	return h, h.walk(s, local)
}

// Adopt walks s, which the caller opened, set up and bound at local
// itself, into spec.State and proves it, as Walk does: for sockets whose
// address or options a cell's Spec cannot say (arrangements). spec.Addr
// and spec.Option are not read. A closed state is the caller's to make:
// on a port other sockets share, no probe can prove it.
func Adopt(s sock.Socket, spec Spec, local netip.AddrPort, w witness.Witness) (*Held, error) {
	if spec.State == matrix.Closed {
		return nil, fmt.Errorf("walk: Adopt does not close a socket (state %s)", spec.State)
	}
	h := &Held{Spec: spec, Port: local.Port(), witness: w, open: []sock.Socket{s}, shared: true}
	return h, h.walk(s, local)
}

// clientOf is where a client connects to reach a socket of family fam
// bound at local, and that client's family: the socket's own address when
// it is specific (a v4-mapped one by IPv4), else the loopback address a
// client of its family uses (sock.Loopback). For a cell's sockets this is
// sock.Loopback exactly.
func clientOf(fam matrix.SocketFamily, local netip.AddrPort) (matrix.SocketFamily, netip.AddrPort) {
	a := local.Addr()
	switch {
	case a.Unmap().IsUnspecified():
		return sock.Loopback(fam, local.Port())
	case a.Is4() || a.Is4In6():
		return matrix.SockIPv4, netip.AddrPortFrom(a.Unmap(), local.Port())
	}
	return matrix.SockIPv6, local
}

// acceptPatience bounds the wait for the walk's own connection: on a port
// other listeners share, it may reach one of them instead.
const acceptPatience = 2 * time.Second

func (h *Held) walk(s sock.Socket, local netip.AddrPort) error {
	h.pending = h.pending && (h.Spec.State == matrix.Established || h.Spec.State == matrix.TimeWait)
	clientFam, loop := clientOf(h.Spec.Family, local) // where a client connects
	switch h.Spec.State {
	case matrix.Bound:
		h.Receiver = s
		return h.proveBound(s, local)
	case matrix.Listening:
		if err := s.Listen(); err != nil {
			return fmt.Errorf("first socket: %w", err)
		}
		h.Receiver = s
		return h.proveListening(s, loop, local)
	case matrix.Established, matrix.TimeWait:
		if err := s.Listen(); err != nil {
			return fmt.Errorf("first socket: %w", err)
		}
		server, client, err := h.connect(s, clientFam, loop)
		if err != nil {
			return err
		}
		serverAddr, err1 := server.LocalAddr()
		clientAddr, err2 := client.LocalAddr()
		if err := errors.Join(err1, err2); err != nil {
			return err
		}
		h.Connection = socktable.Entry{Proto: "tcp", Local: serverAddr, Remote: clientAddr}
		if h.Spec.State == matrix.Established {
			// Only the accepted connection may hold the port.
			h.closeOpen(s)
		} else {
			// The side that closes first enters TIME_WAIT: the accepted one.
			h.closeConn(server)
			h.closeConn(client)
			h.closeOpen(s)
		}
		if h.pending {
			return nil // Prove
		}
		return h.Prove(nil)
	case matrix.Closed:
		h.closeOpen(s)
		if _, err := ports.Probe(h.Spec.Proto, h.Port); err != nil {
			return fmt.Errorf("port %d not free after close: %w", h.Port, err)
		}
		h.Evidence = fmt.Sprintf("closed; then %s", ports.ProbeEvidence(h.Spec.Proto, h.Port))
		return nil
	}
	return fmt.Errorf("state %s has no walk", h.Spec.State)
}

func (h *Held) proveBound(s sock.Socket, want netip.AddrPort) error {
	got, err := s.LocalAddr()
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("first socket is at %s, want %s", got, want)
	}
	h.Evidence = fmt.Sprintf("getsockname %s", got)
	if h.Spec.Proto == matrix.UDP {
		return nil // a datagram socket never listens
	}
	listening, err := s.Listening()
	if err != nil {
		return err
	}
	if listening {
		return fmt.Errorf("first socket at %s is listening, want bound only", got)
	}
	h.Evidence += "; SO_ACCEPTCONN=0"
	return nil
}

// proveListening asks the witness for the listener that accepts
// connections to loop, where clients reach it; a socket bound to the
// v4-mapped wildcard (::ffff:0.0.0.0) accepts them, yet sock_diag finds
// it only by its own address, which is asked second.
func (h *Held) proveListening(s sock.Socket, loop, local netip.AddrPort) error {
	listening, err := s.Listening()
	if err != nil {
		return err
	}
	if !listening {
		return fmt.Errorf("first socket: SO_ACCEPTCONN=0 after listen")
	}
	h.Evidence = "SO_ACCEPTCONN=1"
	if _, costly := h.witness.(witness.Snapshotter); costly {
		return nil // the socket's own word; a table read would add milliseconds a cell
	}
	e, found, err := h.witness.Lookup(loop, netip.AddrPort{})
	if err == nil && !found && local != loop {
		if e, found, err = h.witness.Lookup(local, netip.AddrPort{}); found {
			loop = local
		}
	}
	switch {
	case errors.Is(err, witness.ErrNoWitness):
		return nil // the socket's own word is proof enough of listening
	case err != nil:
		return err
	case !found || e.State != socktable.Listen:
		return fmt.Errorf("%s finds no listener for %s (found=%v state=%s)", h.witness.Name(), loop, found, e.State)
	}
	h.Evidence += fmt.Sprintf("; %s %s for %s", h.witness.Name(), e.State, loop)
	return nil
}

// connect connects a plain client to the listener and accepts it.
func (h *Held) connect(listener sock.Socket, fam matrix.SocketFamily, loop netip.AddrPort) (server, client sock.Socket, err error) {
	client, err = sock.Open(fam, h.Spec.Proto)
	if err != nil {
		return sock.Socket{}, sock.Socket{}, err
	}
	h.conns = append(h.conns, client)
	if err := client.Connect(loop); err != nil {
		return sock.Socket{}, sock.Socket{}, fmt.Errorf("client: %w", err)
	}
	patience := h.Spec.AcceptPatience
	if patience == 0 {
		patience = acceptPatience
	}
	server, err = listener.AcceptWithin(patience)
	if err != nil {
		return sock.Socket{}, sock.Socket{}, fmt.Errorf("first socket: %w", err)
	}
	h.conns = append(h.conns, server)
	return server, client, nil
}

// Pending says the walk's state still waits for Prove.
func (h *Held) Pending() bool { return h.pending }

// Prove proves the connection's state, established or TIME_WAIT, from
// tables: whole tables read after the walk was prepared, or nil to ask the
// witness. A TIME_WAIT entry not in tables yet (the close handshake still
// under way) is looked for again through the witness.
func (h *Held) Prove(tables []socktable.Entry) error {
	h.pending = false
	switch h.Spec.State {
	case matrix.Established:
		return h.proveEstablished(tables)
	case matrix.TimeWait:
		if tables != nil {
			e, found := socktable.Find(tables, h.Connection.Local, h.Connection.Remote)
			if found && e.State == socktable.TimeWait {
				h.timeWaitProven(e, h.Connection.Local, h.Connection.Remote)
				return nil
			}
		}
		return h.proveTimeWait()
	}
	return nil
}

func (h *Held) proveEstablished(entries []socktable.Entry) error {
	server, client := h.Connection.Local, h.Connection.Remote
	lookup := h.witness.Lookup
	if s, ok := h.witness.(witness.Snapshotter); ok && entries == nil {
		// Both questions of one read of the tables.
		var err error
		if entries, err = s.Snapshot(server); err != nil {
			return fmt.Errorf("cannot prove established: %w", err)
		}
	}
	if entries != nil {
		lookup = func(local, remote netip.AddrPort) (socktable.Entry, bool, error) {
			e, found := socktable.Find(entries, local, remote)
			return e, found, nil
		}
	}
	e, found, err := lookup(server, client)
	if err != nil {
		return fmt.Errorf("cannot prove established: %w", err)
	}
	if !found || e.State != socktable.Established {
		return fmt.Errorf("%s: connection %s<->%s found=%v state=%s, want ESTABLISHED", h.witness.Name(), server, client, found, e.State)
	}
	h.Connection = e
	if h.shared {
		h.Evidence = fmt.Sprintf("%s %s %s<->%s; its listener closed", h.witness.Name(), e.State, server, client)
		return nil
	}
	_, listener, err := lookup(server, netip.AddrPort{})
	if err != nil {
		return err
	}
	if listener {
		return fmt.Errorf("%s: a listener on %s survived its close", h.witness.Name(), server)
	}
	h.Evidence = fmt.Sprintf("%s %s %s<->%s; no listener on port %d", h.witness.Name(), e.State, server, client, h.Port)
	return nil
}

// timeWaitPatience bounds how long the kernel may take to finish the close
// handshake on loopback; it is a limit, not a sleep: the lookup is the proof.
const timeWaitPatience = 2 * time.Second

func (h *Held) proveTimeWait() error {
	server, client := h.Connection.Local, h.Connection.Remote
	deadline := time.Now().Add(timeWaitPatience)
	for delay := time.Duration(0); ; delay = min(max(2*delay, 20*time.Microsecond), 5*time.Millisecond) {
		e, found, err := h.witness.Lookup(server, client)
		if err != nil {
			return fmt.Errorf("cannot prove time_wait: %w", err)
		}
		if found {
			h.Connection = e // whatever state it is in, it is ours
		}
		if found && e.State == socktable.TimeWait {
			h.timeWaitProven(e, server, client)
			return nil
		}
		if time.Now().After(deadline) {
			err := fmt.Errorf("%s: connection %s<->%s found=%v state=%s after %v, want TIME_WAIT",
				h.witness.Name(), server, client, found, e.State, timeWaitPatience)
			if note := witness.TimeWaitNote(h.witness); note != "" {
				err = fmt.Errorf("%w (%s)", err, note) // a host setting keeps TIME_WAIT away: name it
			}
			return err
		}
		if delay == 0 {
			runtime.Gosched()
		} else {
			time.Sleep(delay)
		}
	}
}

// timeWaitProven records e, the TIME_WAIT entry of server<->client, as the
// proof (the evidence names the addresses as the sockets gave them).
func (h *Held) timeWaitProven(e socktable.Entry, server, client netip.AddrPort) {
	h.Connection = e
	h.Evidence = fmt.Sprintf("%s %s %s<->%s; listener and both ends closed", h.witness.Name(), e.State, server, client)
}

func (h *Held) closeOpen(s sock.Socket) {
	for i, o := range h.open {
		if o == s {
			h.open = append(h.open[:i], h.open[i+1:]...)
			break
		}
	}
	s.Close()
}

func (h *Held) closeConn(s sock.Socket) {
	for i, o := range h.conns {
		if o == s {
			h.conns = append(h.conns[:i], h.conns[i+1:]...)
			break
		}
	}
	s.Close()
}

// Release closes everything the walk opened. A TIME_WAIT entry outlives it
// by a minute: where the witness can destroy the walk's own entry it does;
// tainted says the port still holds one.
func (h *Held) Release() (tainted bool) {
	for _, s := range h.conns {
		s.Abort()
	}
	for _, s := range h.open {
		s.Close()
	}
	h.conns, h.open = nil, nil
	if h.Spec.State != matrix.TimeWait || !h.Connection.Local.IsValid() {
		return false
	}
	d, ok := h.witness.(witness.TimeWaitDestroyer)
	return !ok || d.DestroyOwnTimeWait(h.Connection) != nil
}
