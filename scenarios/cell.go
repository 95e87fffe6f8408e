package scenarios

import (
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"strings"
	"time"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// cellTries is how many fresh ports a cell gets before an answer that may
// come from another program's socket stands. Nothing holds a closed port, so
// another program's bind or connect may take it between the first socket's
// close and the second bind; any cell's setup may lose its port to one.
// Such an interloper can only add a conflict, never remove one: a closed
// cell's failure and any unreached cell are tried again, an ok needs no
// confirmation, and a failure of any other state is the kernel's answer.
const cellTries = 3

// runCell asks one cell's question and records the answer with its evidence.
func runCell(c matrix.Cell, w *witness, book *portBook) matrix.Result {
	first, port := runCellOnce(c, w, book)
	retry := func(r matrix.Result) bool {
		return r.Outcome == matrix.Unreached || c.State == matrix.Closed && r.Outcome.Call() != ""
	}
	if !retry(first) {
		return first
	}
	tries := []string{fmt.Sprintf("%s on port %d", first.Outcome, port)}
	for len(tries) < cellTries {
		again, againPort := runCellOnce(c, w, book)
		if !retry(again) {
			again.Note = strings.TrimPrefix(again.Note+"; after "+strings.Join(tries, ", "), "; ")
			return again
		}
		tries = append(tries, fmt.Sprintf("%s on port %d", again.Outcome, againPort))
	}
	first.Note = strings.TrimPrefix(first.Note+"; the same on fresh ports: "+strings.Join(tries, ", "), "; ")
	return first
}

// runCellOnce runs a cell on a fresh port and returns the port it used.
func runCellOnce(c matrix.Cell, w *witness, book *portBook) (matrix.Result, uint16) {
	r := matrix.Result{Cell: c}
	for _, o := range []matrix.Option{c.First, c.Second} {
		if _, _, exists := sockoptOf(o); !exists {
			r.Outcome = matrix.Unsupported
			r.Witness = "none needed: no socket was made"
			r.Note = fmt.Sprintf("%s does not exist on %s", o, runtime.GOOS)
			return r, 0
		}
	}
	first := &firstSocket{cell: c, witness: w}
	defer first.tearDown(book)
	if err := first.setUp(book); err != nil {
		r.Outcome = matrix.Unreached
		r.Witness = first.evidence
		r.Note = err.Error()
		return r, first.port
	}
	r.Witness = first.evidence
	second, err := openSecond(c, first.port)
	if err != nil {
		r.Outcome = matrix.Unreached
		r.Note = "second socket's process: " + err.Error()
		return r, first.port
	}
	defer second.close()
	r.Outcome, r.Native = second.outcome()
	if r.Outcome == matrix.OK && matrix.DeliveryApplies(c) {
		var complete bool
		r.Delivery, r.Note, complete = deliver(c, first, second)
		if !complete {
			r.Outcome, r.Delivery = matrix.Unreached, ""
		}
	}
	return r, first.port
}

// secondSocket is the second socket, in this process or in a child.
type secondSocket interface {
	// outcome is what its setsockopt, bind and listen came to.
	outcome() (matrix.Outcome, int)
	// drain counts the connections or datagrams it received since the
	// last call.
	drain() (int, error)
	close()
}

func openSecond(c matrix.Cell, port uint16) (secondSocket, error) {
	if c.Process == matrix.SameProcess {
		s, err := bindSecond(c, port)
		return &localSecond{s: s, err: err, proto: c.Proto}, nil
	}
	return startChild(c, port)
}

// localSecond is a second socket of this process.
type localSecond struct {
	s     socket
	err   error
	proto matrix.Proto
}

func (l *localSecond) outcome() (matrix.Outcome, int) {
	if l.err != nil {
		return outcomeOf(l.err)
	}
	return matrix.OK, 0
}

func (l *localSecond) drain() (int, error) { return l.s.drain(l.proto) }

func (l *localSecond) close() { l.s.close() }

// bindSecond opens the second socket, sets its option and binds it to the
// first socket's port; for TCP it also listens, since a server needs both.
// The socket is returned even on failure, for the caller to close.
func bindSecond(c matrix.Cell, port uint16) (socket, error) {
	_, fam := families(c)
	s, err := openSocket(fam, c.Proto)
	if err != nil {
		return noSocket, err
	}
	if err := setOption(s, c.Second); err != nil {
		return s, err
	}
	if err := s.bind(address(fam, c.SecondAddr, port)); err != nil {
		return s, err
	}
	if c.Proto == matrix.UDP {
		return s, nil
	}
	return s, s.listen()
}

func setOption(s socket, o matrix.Option) error {
	level, name, exists := sockoptOf(o)
	if !exists {
		return fmt.Errorf("%s does not exist on %s", o, runtime.GOOS)
	}
	if o == matrix.None {
		return nil
	}
	return s.setInt(level, name, 1)
}

// firstSocket is the first side of a cell: the socket that binds first and
// whatever connection it takes to walk it into its state.
type firstSocket struct {
	cell     matrix.Cell
	witness  *witness
	port     uint16
	evidence string            // what proved the state
	receiver socket            // the listener (TCP) or bound socket (UDP) traffic may reach
	timeWait [2]netip.AddrPort // the TIME_WAIT entry's tuple, removed at tear-down
	open     []socket          // closed at tear-down
	conns    []socket          // connected sockets, reset at tear-down
}

// setUp binds the first socket on a clean port and walks it into the cell's
// state; it returns an error when the state cannot be reached or proven.
func (f *firstSocket) setUp(book *portBook) error {
	fam, _ := families(f.cell)
	s, err := f.bindFirst(book, fam)
	if err != nil {
		return err
	}
	local := address(fam, f.cell.FirstAddr, f.port)
	clientFam, loop := reachable(fam, f.port) // where a client connects
	switch f.cell.State {
	case matrix.Bound:
		f.receiver = s
		return f.proveBound(s, local)
	case matrix.Listening:
		if err := s.listen(); err != nil {
			return fmt.Errorf("first socket: %w", err)
		}
		f.receiver = s
		return f.proveListening(s, loop)
	case matrix.Established, matrix.TimeWait:
		if err := s.listen(); err != nil {
			return fmt.Errorf("first socket: %w", err)
		}
		server, client, err := f.connect(s, clientFam, loop)
		if err != nil {
			return err
		}
		serverAddr, err1 := server.localAddr()
		clientAddr, err2 := client.localAddr()
		if err := errors.Join(err1, err2); err != nil {
			return err
		}
		if f.cell.State == matrix.Established {
			// Only the accepted connection may hold the port.
			f.closeOpen(s)
			return f.proveEstablished(serverAddr, clientAddr)
		}
		// The side that closes first enters TIME_WAIT: the accepted one.
		f.closeConn(server)
		f.closeConn(client)
		f.closeOpen(s)
		return f.proveTimeWait(serverAddr, clientAddr)
	case matrix.Closed:
		f.closeOpen(s)
		if _, err := probeFreePort(f.cell.Proto, f.port); err != nil {
			return fmt.Errorf("port %d not free after close: %w", f.port, err)
		}
		f.evidence = fmt.Sprintf("closed; then %s", probeEvidence(f.cell.Proto, f.port))
		return nil
	}
	return fmt.Errorf("state %s has no scenario", f.cell.State)
}

// bindFirst binds the first socket with its option on a clean port.
func (f *firstSocket) bindFirst(book *portBook, fam family) (socket, error) {
	var last error
	for range portTries {
		port, err := book.take(f.cell.Proto)
		if err != nil {
			return noSocket, err
		}
		s, err := openSocket(fam, f.cell.Proto)
		if err != nil {
			book.release(port, false)
			return noSocket, fmt.Errorf("first socket: %w", err)
		}
		if err := setOption(s, f.cell.First); err != nil {
			s.close()
			book.release(port, false)
			return noSocket, fmt.Errorf("first socket: %w", err)
		}
		if err := s.bind(address(fam, f.cell.FirstAddr, port)); err != nil {
			// Taken since the probe, by another process: try another.
			s.close()
			book.release(port, false)
			last = err
			continue
		}
		f.port = port
		f.open = append(f.open, s)
		return s, nil
	}
	return noSocket, fmt.Errorf("first socket: %w: %v", errPortBusy, last)
}

func (f *firstSocket) proveBound(s socket, want netip.AddrPort) error {
	got, err := s.localAddr()
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("first socket is at %s, want %s", got, want)
	}
	f.evidence = fmt.Sprintf("getsockname %s", got)
	if f.cell.Proto == matrix.UDP {
		return nil // a datagram socket never listens
	}
	listening, err := s.listening()
	if err != nil {
		return err
	}
	if listening {
		return fmt.Errorf("first socket at %s is listening, want bound only", got)
	}
	f.evidence += "; SO_ACCEPTCONN=0"
	return nil
}

func (f *firstSocket) proveListening(s socket, loop netip.AddrPort) error {
	listening, err := s.listening()
	if err != nil {
		return err
	}
	if !listening {
		return fmt.Errorf("first socket: SO_ACCEPTCONN=0 after listen")
	}
	f.evidence = "SO_ACCEPTCONN=1"
	state, found, err := f.witness.tcpState(loop, netip.AddrPort{})
	switch {
	case errors.Is(err, errNoWitness):
		return nil // the socket's own word is proof enough of listening
	case err != nil:
		return err
	case !found || state != tcpListen:
		return fmt.Errorf("%s finds no listener for %s (found=%v state=%s)", f.witness.name(), loop, found, state)
	}
	f.evidence += fmt.Sprintf("; %s %s for %s", f.witness.name(), state, loop)
	return nil
}

// connect connects a plain client to the listener and accepts it.
func (f *firstSocket) connect(listener socket, fam family, loop netip.AddrPort) (server, client socket, err error) {
	client, err = openSocket(fam, f.cell.Proto)
	if err != nil {
		return noSocket, noSocket, err
	}
	f.conns = append(f.conns, client)
	if err := client.connect(loop); err != nil {
		return noSocket, noSocket, fmt.Errorf("client: %w", err)
	}
	server, err = listener.accept()
	if err != nil {
		return noSocket, noSocket, fmt.Errorf("first socket: %w", err)
	}
	f.conns = append(f.conns, server)
	return server, client, nil
}

func (f *firstSocket) proveEstablished(server, client netip.AddrPort) error {
	state, found, err := f.witness.tcpState(server, client)
	if err != nil {
		return fmt.Errorf("cannot prove established: %w", err)
	}
	if !found || state != tcpEstablished {
		return fmt.Errorf("%s: connection %s<->%s found=%v state=%s, want ESTABLISHED", f.witness.name(), server, client, found, state)
	}
	_, listener, err := f.witness.tcpState(server, netip.AddrPort{})
	if err != nil {
		return err
	}
	if listener {
		return fmt.Errorf("%s: a listener on %s survived its close", f.witness.name(), server)
	}
	f.evidence = fmt.Sprintf("%s %s %s<->%s; no listener on port %d", f.witness.name(), state, server, client, f.port)
	return nil
}

// timeWaitPatience bounds how long the kernel may take to finish the close
// handshake on loopback; it is a limit, not a sleep: the lookup is the proof.
const timeWaitPatience = 2 * time.Second

func (f *firstSocket) proveTimeWait(server, client netip.AddrPort) error {
	deadline := time.Now().Add(timeWaitPatience)
	for delay := time.Duration(0); ; delay = min(max(2*delay, 20*time.Microsecond), 5*time.Millisecond) {
		state, found, err := f.witness.tcpState(server, client)
		if err != nil {
			return fmt.Errorf("cannot prove time_wait: %w", err)
		}
		if found && state == tcpTimeWait {
			f.timeWait = [2]netip.AddrPort{server, client}
			f.evidence = fmt.Sprintf("%s %s %s<->%s; listener and both ends closed", f.witness.name(), state, server, client)
			return nil
		}
		if time.Now().After(deadline) {
			f.timeWait = [2]netip.AddrPort{server, client} // whatever state it is in, it is ours
			return fmt.Errorf("%s: connection %s<->%s found=%v state=%s after %v, want TIME_WAIT",
				f.witness.name(), server, client, found, state, timeWaitPatience)
		}
		if delay == 0 {
			runtime.Gosched()
		} else {
			time.Sleep(delay)
		}
	}
}

func (f *firstSocket) closeOpen(s socket) {
	for i, o := range f.open {
		if o == s {
			f.open = append(f.open[:i], f.open[i+1:]...)
		}
	}
	s.close()
}

func (f *firstSocket) closeConn(s socket) {
	for i, o := range f.conns {
		if o == s {
			f.conns = append(f.conns[:i], f.conns[i+1:]...)
		}
	}
	s.close()
}

// tearDown closes everything the cell opened and gives its port back.
func (f *firstSocket) tearDown(book *portBook) {
	for _, s := range f.conns {
		s.abort()
	}
	for _, s := range f.open {
		s.close()
	}
	f.conns, f.open = nil, nil
	// A TIME_WAIT entry outlives the cell by a minute; remove it where the
	// OS allows, else keep its port out of later cells.
	tainted := f.timeWait[0].IsValid() && f.witness.forget(f.timeWait[0], f.timeWait[1]) != nil
	if f.port != 0 {
		book.release(f.port, tainted)
	}
}
