package audit

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/bindmatrix/bindmatrix/internal/inventory"
	"github.com/bindmatrix/bindmatrix/internal/sock"
	"github.com/bindmatrix/bindmatrix/internal/socktable"
	"github.com/bindmatrix/bindmatrix/internal/witness"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// restartConnections is how many connections the restart check opens: the
// server's side of each it has accepted closes first when it stops, and
// each such one leaves a TIME_WAIT entry on the port.
const restartConnections = 3

// timeWaitPatience bounds the close handshake on loopback; a limit, not a
// pause: the witness is the proof.
const timeWaitPatience = 2 * time.Second

// restartCheck stops the running server while connections to it are open,
// proves the TIME_WAIT entries its side left, starts the command again and
// says whether it listens again within wait. It returns the check and the
// new server, if one started (the caller stops it). Cancelling ctx keeps
// the server from starting again.
func restartCheck(ctx context.Context, srv *server, socks []inventory.Socket, w witness.Witness, wait time.Duration, log io.Writer) (matrix.Restart, *server) {
	r := matrix.Restart{Witness: w.Name()}
	select {
	case <-srv.exited:
		r.Verdict, r.Note = matrix.RestartUnreached, fmt.Sprintf("the server exited before the restart check (%s)", srv.exitedWhy())
		return r, nil
	default:
	}
	var listeners []netip.AddrPort // where clients connect, one per TCP listener on loopback
	var shared []inventory.Socket  // another program's, on a listener's port
	for _, s := range socks {
		if s.Proto != matrix.TCP || !s.Local.Addr().IsUnspecified() && !s.Local.Addr().Unmap().IsLoopback() {
			continue
		}
		// A connection meant for the server could reach another's socket.
		others, err := othersOnPort(matrix.TCP, s.Local.Port(), socks)
		if err != nil {
			srv.stop()
			r.Verdict, r.Note = matrix.RestartUnreached, fmt.Sprintf("the sockets on port %d could not be listed: %v", s.Local.Port(), err)
			return r, nil
		}
		if len(others) > 0 {
			shared = append(shared, others...)
			continue
		}
		listeners = append(listeners, connectTo(s))
	}
	if !slices.ContainsFunc(socks, func(s inventory.Socket) bool { return s.Proto == matrix.TCP }) {
		// TIME_WAIT is TCP's: a UDP socket's port is free the moment it
		// closes, so there is nothing a restart could trip on.
		srv.stop()
		r.Verdict, r.Note = matrix.RestartNotApplicable, "the server has no TCP listener: TIME_WAIT holds TCP ports only, and a UDP port is free again the moment its socket closes"
		return r, nil
	}
	if len(listeners) == 0 {
		srv.stop()
		r.Verdict, r.Note = matrix.RestartUnreached, "the server has no TCP listener on loopback to connect to, so no TIME_WAIT entry could be made"
		if len(shared) > 0 {
			r.Note = "the server's TCP ports on loopback are shared with another program's sockets, which connections meant for it could reach: " + namesOf(shared)
		}
		return r, nil
	}
	var conns []restartConn
	defer func() {
		for _, c := range conns {
			c.client.Abort()
		}
	}()
	for _, at := range listeners {
		fam, _ := sock.Loopback(sock.FamilyOf(at.Addr()), at.Port())
		for range restartConnections {
			c, err := sock.Open(fam, matrix.TCP)
			if err != nil {
				break
			}
			if err := c.ConnectWithin(at, time.Second); err != nil {
				c.Close()
				break
			}
			peer, _ := c.LocalAddr()
			conns = append(conns, restartConn{client: c, server: at, peer: peer})
		}
	}
	// A connection still in the listener's queue is reset when the server
	// exits, and leaves no TIME_WAIT entry: give the server the time to
	// accept them. A listener with TCP_DEFER_ACCEPT (Apache's default
	// AcceptFilter) keeps a silent connection in SYN_RECV: such a one gets
	// a byte. The server goes first, so that its side of every connection
	// it accepted closes first; then the clients close theirs.
	poked := make([]bool, len(conns))
	allAccepted := waitFor(timeWaitPatience, func() bool {
		all := true
		for i, c := range conns {
			e, found, err := w.Lookup(c.server, c.peer)
			switch {
			case err == nil && found && e.Inode != 0:
				continue
			case err == nil && found && waitsForData(e.State) && !poked[i]:
				poked[i] = c.client.Poke() == nil
			}
			all = false
		}
		return all
	})
	srv.stop()
	// The server's side closes once its process is gone, or a moment later:
	// under Wine, wineserver holds every socket too and lets go of a dead
	// process's after it exited. A client that closed first would hold the
	// TIME_WAIT entry itself, so the clients wait for the server's side to
	// leave ESTABLISHED (within the patience).
	serverClosed := waitFor(timeWaitPatience, func() bool {
		for _, c := range conns {
			if e, found, err := w.Lookup(c.server, c.peer); err != nil || found && e.State == socktable.Established {
				return false
			}
		}
		return true
	})
	// A client whose side is gone while its socket is still open was
	// reset: the server aborted the connections it had accepted when told
	// to stop (named and coturn do), which leaves no TIME_WAIT entry.
	reset := 0
	for _, c := range conns {
		if e, found, err := w.Lookup(c.peer, c.server); err == nil && (!found || e.State == socktable.Close) {
			reset++
		}
	}
	// A client that closes with unread data (a server that writes first:
	// sshd's banner, an SMTP greeting) sends a reset, which ends the
	// server's side too: read it all first.
	for _, c := range conns {
		c.client.Discard()
		c.client.Close()
	}
	var proven []restartConn
	if reset < len(conns) { // a reset leaves none to wait for
		proven = timeWaitsProven(w, conns)
	}
	opened := len(conns)
	conns = nil // closed above; nothing to reset
	if len(proven) == 0 {
		r.Verdict = matrix.RestartUnreached
		r.Note = fmt.Sprintf("none of %d connections to %v reached TIME_WAIT on the server's side (it reset them, or never accepted them), so a restart would show nothing", opened, listeners)
		if allAccepted && opened > 0 && reset == opened {
			r.Note = fmt.Sprintf("the server resets its connections when it is stopped (SIGTERM): it had accepted all %d, and each was reset rather than closed, which leaves no TIME_WAIT entry, so a restart cannot be tried against one", opened)
		}
		if !serverClosed {
			r.Note += fmt.Sprintf("; the server's side of some was still ESTABLISHED (or could not be looked up) %v after it stopped, so the clients closed first", timeWaitPatience)
		}
		if note := witness.TimeWaitNote(w); note != "" {
			r.Note += "; " + note
		}
		return r, nil
	}
	var tuples []string
	for _, c := range proven {
		tuples = append(tuples, fmt.Sprintf("%s<->%s", c.server, c.peer))
	}
	r.Witness = fmt.Sprintf("%s TIME_WAIT %s after the server stopped", w.Name(), strings.Join(tuples, ", "))

	again, err := startServer(ctx, srv.args, srv.dir, log)
	if ctx.Err() != nil {
		r.Verdict, r.Note = matrix.RestartUnreached, "interrupted before the server started again"
		return r, again
	}
	if err != nil {
		r.Verdict, r.Note = matrix.RestartFailed, err.Error()
		return r, nil
	}
	socksAgain, err := again.waitListening(ctx, wait)
	// The entries still there now were there when the server bound.
	for _, c := range proven {
		if e, found, _ := w.Lookup(c.server, c.peer); found && e.State == socktable.TimeWait {
			r.TimeWait++
		}
	}
	missing := missingListeners(serving(socks, 0), socksAgain)
	switch {
	case err != nil || len(missing) > 0:
		r.Verdict = matrix.RestartFailed
		r.Output = again.output.lastLines(20)
		if err != nil {
			r.Note = err.Error()
		} else {
			r.Note = fmt.Sprintf("it listens again, but not on %s", strings.Join(missing, ", "))
		}
	case r.TimeWait == 0:
		r.Verdict = matrix.RestartUnreached
		r.Note = "it listens again, but the TIME_WAIT entries were gone by then, so the restart proves nothing"
	default:
		r.Verdict = matrix.RestartOK
		r.Witness += fmt.Sprintf("; %d still there once it listened again", r.TimeWait)
	}
	return r, again
}

// restartConn is a connection the restart check opened: the client's
// socket, the server's address it reached, and its own (the peer).
type restartConn struct {
	client       sock.Socket
	server, peer netip.AddrPort
}

// timeWaitsProven waits, within timeWaitPatience, for the server's side of
// every connection to be in TIME_WAIT, and returns those that are. They
// are waited for together: a wait per connection, in turn, took 2 s each
// where none came (300 connections, 20 minutes).
func timeWaitsProven(w witness.Witness, conns []restartConn) []restartConn {
	var proven []restartConn
	waitFor(timeWaitPatience, func() bool {
		proven = proven[:0]
		for _, c := range conns {
			if e, found, err := w.Lookup(c.server, c.peer); err == nil && found && e.State == socktable.TimeWait {
				proven = append(proven, c)
			}
		}
		return len(proven) == len(conns)
	})
	return proven
}

// connectTo is where a client connects to reach the listener s: its own
// address if it listens on a loopback one (127.0.0.2 is not 127.0.0.1),
// the loopback address of its family if it listens on the wildcard.
func connectTo(s inventory.Socket) netip.AddrPort {
	if a := s.Local.Addr(); !a.IsUnspecified() && a.Unmap().IsLoopback() {
		return s.Local
	}
	_, at := sock.Loopback(s.Family, s.Local.Port())
	return at
}

// waitsForData says a server's side of a connection in state st is
// complete on the client's side, but not yet accepted: with
// TCP_DEFER_ACCEPT it waits in SYN_RECV for the first data.
func waitsForData(st socktable.TCPState) bool {
	return st == socktable.SynRecv || st == socktable.NewSynRecv
}

// waitFor asks done until it says yes or patience runs out, and says which.
func waitFor(patience time.Duration, done func() bool) bool {
	deadline := time.Now().Add(patience)
	for !done() {
		if !time.Now().Before(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
	return true
}

// missingListeners names the TCP listeners of before that after lacks.
func missingListeners(before, after []inventory.Socket) []string {
	var missing []string
	for _, b := range before {
		found := false
		for _, a := range after {
			found = found || a.Proto == b.Proto && a.Local == b.Local
		}
		if !found {
			missing = append(missing, fmt.Sprintf("%s %s", b.Proto, b.Local))
		}
	}
	return missing
}

// exitWords says how a process ended, from what Wait returned: a nil
// error is "exit status 0", never "<nil>".
func exitWords(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}
