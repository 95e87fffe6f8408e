// Package deliver answers the question behind a hijack: once two sockets
// could receive on one port, who gets the traffic? It sends connections
// (TCP) or datagrams (UDP) to an address, each from its own client port,
// and counts what each receiver took. The address may be any listener's:
// the matrix's own first socket, or a server somebody else runs.
package deliver

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/bindmatrix/bindmatrix/internal/sock"
	"github.com/bindmatrix/bindmatrix/internal/socktable"
	"github.com/bindmatrix/bindmatrix/internal/witness"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// Receiver is a socket whose traffic can be counted: Drain takes what
// waits on it and says how much there was.
type Receiver interface {
	Drain() (int, error)
}

// Plan says what to send where.
type Plan struct {
	Proto matrix.Proto
	To    netip.AddrPort
	// Max is how many connections or datagrams to send at most.
	Max int
	// Round is how many are sent between two counts.
	Round int
	// StopWhenShared stops sending once every receiver has received:
	// the verdict is then "shared", and more traffic could not change it.
	StopWhenShared bool
	// Check, when set, runs after each round; an error stops the sending
	// (Stopped): the audit lists the port between rounds, so that a socket
	// that appears on it meanwhile gets one round at most.
	Check func() error
	// Unseen says some of the traffic may go to a socket nobody here can
	// count (a server somebody else runs): the counts then need not add
	// up to what was sent, and Run waits only for the receivers to settle.
	Unseen bool
	// Patience bounds the wait for what was sent to arrive; 0 means
	// DefaultPatience.
	Patience time.Duration
	// Witness, with Unseen TCP traffic, makes the count exact: once every
	// connection's server side has left SYN_RECV it sits in some
	// listener's queue (or was taken from it), so one more count after
	// that is all the receivers will ever get.
	Witness witness.Witness
}

// connectPatience bounds one connect: on loopback a handshake takes
// microseconds, unless the listener's queue is full and drops it, when a
// blocking connect would wait for retries for minutes. Sending stops then,
// and says why.
const connectPatience = 500 * time.Millisecond

// DefaultPatience bounds the wait for sent traffic to arrive; loopback
// delivers within microseconds, so this is a limit, not a pause.
const DefaultPatience = 2 * time.Second

// Tally is what a Plan came to.
type Tally struct {
	Sent     int
	Received []int // per receiver, in the order given
	// Complete says every connection or datagram sent was counted (or,
	// with Unseen, that the receivers' counts settled).
	Complete bool
	// Stopped is why sending stopped early, if it did.
	Stopped error

	unseen   bool
	patience time.Duration
}

// Run carries out the plan against the receivers.
func Run(p Plan, receivers ...Receiver) (Tally, error) {
	t := Tally{Received: make([]int, len(receivers))}
	fam := sock.FamilyOf(p.To.Addr())
	if fam == matrix.SockDualStack {
		fam = matrix.SockIPv6 // a v4-mapped target is reached over IPv6
	}
	var clients []sock.Socket
	var connected []client
	defer func() {
		for _, c := range clients {
			c.Abort()
		}
	}()
	count := func() error {
		var errs []error
		for i, r := range receivers {
			n, err := r.Drain()
			t.Received[i] += n
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	}
	round := max(p.Round, 1)
	for t.Sent < p.Max && !(p.StopWhenShared && t.shared()) && t.Stopped == nil {
		for range round {
			if t.Sent >= p.Max {
				break
			}
			c, err := sock.Open(fam, p.Proto)
			if err != nil {
				t.Stopped = err
				break
			}
			clients = append(clients, c)
			if p.Proto == matrix.UDP {
				err = c.Send(p.To)
			} else {
				err = c.ConnectWithin(p.To, connectPatience)
			}
			if err != nil {
				t.Stopped = err
				break
			}
			t.Sent++
			if a, err := c.LocalAddr(); err == nil {
				connected = append(connected, client{c, a})
			}
		}
		if err := count(); err != nil {
			return t, fmt.Errorf("delivery check: %w", err)
		}
		if p.Check != nil && t.Stopped == nil {
			t.Stopped = p.Check()
		}
	}
	patience := cmp.Or(p.Patience, DefaultPatience)
	deadline := time.Now().Add(patience)
	if p.Unseen && p.Proto == matrix.TCP && p.Witness != nil && t.Stopped == nil {
		return t, t.proveQueued(p, connected, count, deadline)
	}
	for !t.settled() && time.Now().Before(deadline) {
		time.Sleep(50 * time.Microsecond)
		before := t.total()
		if err := count(); err != nil {
			return t, fmt.Errorf("delivery check: %w", err)
		}
		if p.Unseen && t.total() == before {
			break // nothing more arrived: the rest went where nobody counts
		}
	}
	t.Complete = t.Stopped == nil && (t.settled() || p.Unseen)
	t.unseen, t.patience = p.Unseen, patience
	return t, nil
}

func (t Tally) total() int {
	n := 0
	for _, r := range t.Received {
		n += r
	}
	return n
}

// shared says every receiver got some.
func (t Tally) shared() bool {
	for _, r := range t.Received {
		if r == 0 {
			return false
		}
	}
	return len(t.Received) > 0
}

// settled says every sent one was counted.
func (t Tally) settled() bool { return t.total() >= t.Sent }

// Note spells the counts for a cell's note: "delivery to 127.0.0.1:4000:
// 17 of 32 sent reached the first socket, 15 the second".
func (t Tally) Note(to netip.AddrPort, names ...string) string {
	var parts []string
	for i, r := range t.Received {
		name := fmt.Sprint("receiver ", i+1)
		if i < len(names) {
			name = names[i]
		}
		if i == 0 {
			parts = append(parts, fmt.Sprintf("%d of %d sent reached %s", r, t.Sent, name))
		} else {
			parts = append(parts, fmt.Sprintf("%d %s", r, name))
		}
	}
	note := fmt.Sprintf("delivery to %s: %s", to, strings.Join(parts, ", "))
	if t.Stopped != nil {
		note += fmt.Sprintf("; sending stopped after %d: %v", t.Sent, t.Stopped)
	}
	if lost := t.Sent - t.total(); lost > 0 && t.unseen {
		note += fmt.Sprintf("; %d went elsewhere", lost)
	} else if lost > 0 {
		note += fmt.Sprintf("; %d not received within %v", lost, t.patience)
	}
	return note
}

// client is a connection sent, and the address it came from.
type client struct {
	sock sock.Socket
	addr netip.AddrPort
}

// proveQueued waits until the witness shows every connection past its
// handshake on the server side, then counts once more: that count is
// exact, whoever else took the rest. A listener with TCP_DEFER_ACCEPT
// (Apache's default AcceptFilter) keeps a connection that sent nothing in
// SYN_RECV: the client's handshake is done, the server's side waits for
// data. Such a connection gets one byte, once.
func (t *Tally) proveQueued(p Plan, clients []client, count func() error, deadline time.Time) error {
	t.unseen, t.patience = true, cmp.Or(p.Patience, DefaultPatience)
	poked := make([]bool, len(clients))
	for {
		pending := 0
		for i, c := range clients {
			e, found, err := p.Witness.Lookup(p.To, c.addr)
			if err != nil {
				return fmt.Errorf("delivery check: %w", err)
			}
			if found && (e.State == socktable.SynRecv || e.State == socktable.NewSynRecv) {
				pending++
				if !poked[i] {
					poked[i] = c.sock.Poke() == nil
				}
			}
		}
		if pending == 0 || !time.Now().Before(deadline) {
			if err := count(); err != nil {
				return fmt.Errorf("delivery check: %w", err)
			}
			t.Complete = pending == 0 && len(clients) == t.Sent
			return nil
		}
		time.Sleep(50 * time.Microsecond)
	}
}
