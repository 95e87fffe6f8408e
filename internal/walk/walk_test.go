package walk_test

import (
	"errors"
	"net/netip"
	"runtime"
	"strings"
	"testing"

	"github.com/bindmatrix/bindmatrix/internal/ports"
	"github.com/bindmatrix/bindmatrix/internal/sock"
	"github.com/bindmatrix/bindmatrix/internal/socktable"
	"github.com/bindmatrix/bindmatrix/internal/walk"
	"github.com/bindmatrix/bindmatrix/internal/witness"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// proofOf is the word the evidence of each state must hold.
var proofOf = map[matrix.State]string{
	matrix.Bound:       "getsockname",
	matrix.Listening:   "SO_ACCEPTCONN=1",
	matrix.TimeWait:    "TIME_WAIT",
	matrix.Established: "ESTABLISHED",
	matrix.Closed:      "succeeded",
}

// TestWalkProvesEveryState walks a socket of each family into each state
// and holds the evidence to the state; then the port must be clean again.
func TestWalkProvesEveryState(t *testing.T) {
	w, err := witness.Open(witness.Best)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	book := ports.NewBook()
	for _, proto := range matrix.Protos() {
		for _, state := range matrix.StatesOf(proto) {
			for _, fam := range []matrix.SocketFamily{matrix.SockIPv4, matrix.SockIPv6, matrix.SockDualStack} {
				spec := walk.Spec{Proto: proto, Family: fam, Addr: matrix.Specific, State: state}
				t.Run(proto.String()+"/"+state.String()+"/"+fam.String(), func(t *testing.T) {
					port, err := book.Take(proto)
					if err != nil {
						t.Fatal(err)
					}
					h, err := walk.Walk(spec, port, w)
					if err != nil {
						t.Fatal(err)
					}
					if !strings.Contains(h.Evidence, proofOf[state]) {
						t.Errorf("evidence %q does not show %s", h.Evidence, proofOf[state])
					}
					// A plain bind meets the socket, except on Windows where it
					// passes TIME_WAIT and established connections (Go's
					// sockopt_windows.go, libuv's win/tcp.c): there only
					// the witness sees them.
					blocks := state == matrix.Bound || state == matrix.Listening || runtime.GOOS != "windows" && state != matrix.Closed
					if _, err := ports.Probe(proto, port); err == nil && blocks {
						t.Errorf("port %d probes free while the walk holds it %s", port, state)
					}
					conn, listener := h.Connection, sock.Addr(spec.Family, matrix.Specific, port)
					tainted := h.Release()
					book.Release(port, tainted)
					// What the walk made is gone (the port itself may be
					// anybody's again at once, so it is not probed).
					if _, found, _ := w.Lookup(listener, netip.AddrPort{}); found && proto == matrix.TCP {
						t.Errorf("a listener on %v survived Release", listener)
					}
					if conn.Remote.IsValid() && !tainted {
						if e, found, _ := w.Lookup(conn.Local, conn.Remote); found {
							t.Errorf("%v<->%v survived Release in %s", conn.Local, conn.Remote, e.State)
						}
					}
				})
			}
		}
	}
}

// TestWalkWithoutWitness: the states that need the kernel's table are
// errors without a witness, never assumed; listening stands on the
// socket's own word.
func TestWalkWithoutWitness(t *testing.T) {
	none, _ := witness.Open(witness.Off)
	book := ports.NewBook()
	for _, state := range matrix.States() {
		port, err := book.Take(matrix.TCP)
		if err != nil {
			t.Fatal(err)
		}
		h, err := walk.Walk(walk.Spec{Proto: matrix.TCP, Family: matrix.SockIPv4, Addr: matrix.Specific, State: state}, port, none)
		needs := state == matrix.TimeWait || state == matrix.Established
		if needs != errors.Is(err, witness.ErrNoWitness) {
			t.Errorf("%s without a witness: %v", state, err)
		}
		tainted := false
		if h != nil {
			tainted = h.Release()
		}
		book.Release(port, tainted)
	}
}

// TestWalkOnATakenPort: a bind that fails says the port was taken, so that
// the caller takes another.
func TestWalkOnATakenPort(t *testing.T) {
	w, _ := witness.Open(witness.Best)
	defer w.Close()
	spec := walk.Spec{Proto: matrix.TCP, Family: matrix.SockIPv4, Addr: matrix.Specific, State: matrix.Listening}
	book := ports.NewBook()
	port, err := book.Take(matrix.TCP)
	if err != nil {
		t.Fatal(err)
	}
	defer book.Release(port, false)
	h, err := walk.Walk(spec, port, w)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Release()
	if again, err := walk.Walk(spec, port, w); again != nil || !errors.Is(err, walk.ErrPortTaken) {
		t.Errorf("a second walk on port %d: %v, %v; want ErrPortTaken", port, again, err)
	}
}

// noLocalTimeWait is a witness of a host that keeps no TIME_WAIT entry for
// a local connection (FreeBSD with net.inet.tcp.nolocaltimewait=1): it
// answers as the real one does, except that no entry is ever in TIME_WAIT,
// and it names the setting.
type noLocalTimeWait struct{ witness.Witness }

func (w noLocalTimeWait) Lookup(local, remote netip.AddrPort) (socktable.Entry, bool, error) {
	e, found, err := w.Witness.Lookup(local, remote)
	if found && e.State == socktable.TimeWait {
		return socktable.Entry{}, false, err
	}
	return e, found, err
}

func (noLocalTimeWait) TimeWaitNote() string { return "net.inet.tcp.nolocaltimewait=1: no TIME_WAIT" }

// TestUnreachedTimeWaitNamesTheSetting: a time_wait walk that never sees
// the entry says which host setting kept it away, so that an unreached
// cell names it. It waits out the walk's patience (2 s).
func TestUnreachedTimeWaitNamesTheSetting(t *testing.T) {
	real, err := witness.Open(witness.Best)
	if err != nil {
		t.Fatal(err)
	}
	defer real.Close()
	book := ports.NewBook()
	port, err := book.Take(matrix.TCP)
	if err != nil {
		t.Fatal(err)
	}
	spec := walk.Spec{Proto: matrix.TCP, Family: matrix.SockIPv4, Addr: matrix.Specific, State: matrix.TimeWait}
	h, err := walk.Walk(spec, port, noLocalTimeWait{real})
	if h != nil {
		book.Release(port, h.Release())
	}
	if err == nil || !strings.Contains(err.Error(), "want TIME_WAIT (net.inet.tcp.nolocaltimewait=1: no TIME_WAIT)") {
		t.Errorf("walk into time_wait: %v; want the unreached note to name net.inet.tcp.nolocaltimewait", err)
	}
}
