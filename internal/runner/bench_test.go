//go:build linux

// The benchmarks are Linux-only: the floor is written with x/sys/unix calls
// and the naive script reads /proc/net/tcp, which only Linux has.

package runner

import (
	"context"
	"fmt"
	"net/netip"
	"runtime"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/bindmatrix/bindmatrix/internal/deliver"
	"github.com/bindmatrix/bindmatrix/internal/socktable"
	"github.com/bindmatrix/bindmatrix/internal/witness"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// Speed, in ns per classic TCP cell (640 cells, unsupported ones included,
// so the figures divide alike):
//
//	BenchmarkMatrixTCP   Run over the cells: ports, witness, evidence, workers
//	BenchmarkFloor       the same cells' bare socket calls, sequential, nothing else
//	BenchmarkProcScript  the floor plus /proc/net/tcp reads as proof, as a naive tool would
//	BenchmarkCell/STATE  one cell of each state through runCell, witness and port book
//
// Measure with a fixed count, as the README does:
//
//	go test ./internal/runner -run '^$' -bench . -benchtime 20x
//
// Every time_wait cell of the floor and the script leaves its TIME_WAIT
// entry for a minute (72 per pass over the cells), as a bare script would;
// so does runCell where the witness cannot remove it (no CAP_NET_ADMIN, or
// no SOCK_DESTROY). Each entry keeps a port from bind(0) for that minute, so
// a time-based -benchtime (thousands of iterations of the time_wait cell)
// can use up the ephemeral ports for whatever runs next on the machine.

// bareBacklog is the listen backlog of package sock.
const bareBacklog = 128

func reportPerCell(b *testing.B, cells int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*cells), "ns/cell")
}

// BenchmarkMatrixTCP runs the classic cells as `bindmatrix run` does. An
// unreached cell costs less than a reached one, so their count is reported
// beside the time (unreached/run, 0 on a quiet machine) rather than failing
// a measurement that another process on the machine may have disturbed.
func BenchmarkMatrixTCP(b *testing.B) {
	cells := classicTCPCells(b)
	unreached := 0
	for b.Loop() {
		obs := Run(context.Background(), cells, Options{})
		if u := unreachedCells(obs); len(u) > 0 {
			if unreached == 0 {
				b.Logf("%d cells unreached, first %s", len(u), u[0])
			}
			unreached += len(u)
		}
	}
	reportPerCell(b, len(cells))
	b.ReportMetric(float64(unreached)/float64(b.N), "unreached/run")
}

// BenchmarkCell runs one representative cell per state (IPv4, specific
// addresses, no options) through runCell with a witness and a port book,
// as a worker of Run does; listening+delivery is the listening cell where
// both sockets set SO_REUSEPORT, so that runCell also checks which socket
// gets the connections (the floor makes no such check).
func BenchmarkCell(b *testing.B) {
	const representative = "proto=tcp,family=ipv4,first_addr=specific,second_addr=specific"
	var benchmarks [][2]string
	for _, state := range matrix.States() {
		benchmarks = append(benchmarks, [2]string{state.String(), representative + ",first=none,second=none,state=" + state.String()})
	}
	benchmarks = append(benchmarks, [2]string{"listening+delivery", representative + ",first=SO_REUSEPORT,second=SO_REUSEPORT,state=listening"})
	for _, bm := range benchmarks {
		b.Run(bm[0], func(b *testing.B) {
			c := oneCell(b, bm[1])
			w := testWorker(b)
			for b.Loop() {
				if r := w.runCell(c); r.Outcome == matrix.Unreached {
					b.Fatalf("%s unreached: %s", c, r.Note)
				}
			}
			reportPerCell(b, 1)
		})
	}
}

// oneCell selects exactly one cell of the default matrix.
func oneCell(tb testing.TB, spec string) matrix.Cell {
	tb.Helper()
	if slices.Contains(matrix.FieldNames(), "process") {
		spec += ",process=same"
	}
	f, err := matrix.ParseFilter(spec)
	if err != nil {
		tb.Fatalf("filter %q: %v", spec, err)
	}
	cells := f.Select(matrix.AllCells())
	if len(cells) != 1 {
		tb.Fatalf("filter %q selects %d cells, want 1", spec, len(cells))
	}
	return cells[0]
}

// BenchmarkFloor is what the classic cells cost with nothing but the socket
// calls each needs: no port probe (the first socket binds port 0 and asks
// getsockname), no witness, no evidence, no port book, one cell after the
// other. Cells with an option this OS lacks make no socket, as in runCell.
func BenchmarkFloor(b *testing.B) {
	cells := classicTCPCells(b)
	for b.Loop() {
		for _, c := range cells {
			if err := bareCell(c, nil); err != nil {
				b.Fatalf("%s: %v", c, err)
			}
		}
	}
	reportPerCell(b, len(cells))
}

// BenchmarkProcScript is the floor plus the proof a straightforward script
// would give: it reads /proc/net/tcp to see the accepted connection
// ESTABLISHED, or to wait for it to reach TIME_WAIT.
func BenchmarkProcScript(b *testing.B) {
	cells := classicTCPCells(b)
	proc, err := witness.Open(witness.Proc)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		for _, c := range cells {
			if err := bareCell(c, proc.Lookup); err != nil {
				b.Fatalf("%s: %v", c, err)
			}
		}
	}
	reportPerCell(b, len(cells))
}

// bareOption is the socket option a classic cell's option names; exists is
// false where runCell would report the cell unsupported.
func bareOption(o matrix.Option) (name int, exists bool) {
	switch o {
	case matrix.None:
		return 0, true
	case matrix.ReuseAddr:
		return unix.SO_REUSEADDR, true
	case matrix.ReusePort:
		return unix.SO_REUSEPORT, true
	}
	return 0, false
}

// bareSocket opens a TCP socket of the cell's family (IPv6 ones IPv6-only)
// and sets the option.
func bareSocket(c matrix.Cell, opt int) (int, error) {
	domain := unix.AF_INET
	if c.Family == matrix.IPv6 {
		domain = unix.AF_INET6
	}
	fd, err := unix.Socket(domain, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("socket: %w", err)
	}
	if domain == unix.AF_INET6 {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1); err != nil {
			unix.Close(fd)
			return -1, fmt.Errorf("setsockopt IPV6_V6ONLY: %w", err)
		}
	}
	if opt != 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, opt, 1); err != nil {
			unix.Close(fd)
			return -1, fmt.Errorf("setsockopt: %w", err)
		}
	}
	return fd, nil
}

func bareAddr(c matrix.Cell, a matrix.AddrKind, port int) unix.Sockaddr {
	if c.Family == matrix.IPv6 {
		sa := &unix.SockaddrInet6{Port: port}
		if a == matrix.Specific {
			sa.Addr = netip.IPv6Loopback().As16()
		}
		return sa
	}
	sa := &unix.SockaddrInet4{Port: port}
	if a == matrix.Specific {
		sa.Addr = [4]byte{127, 0, 0, 1}
	}
	return sa
}

func sockPort(fd int) (netip.AddrPort, error) {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("getsockname: %w", err)
	}
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port)), nil
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), uint16(sa.Port)), nil
	}
	return netip.AddrPort{}, fmt.Errorf("getsockname: unexpected %T", sa)
}

// tcpLookup answers "what state is this connection in", as a witness does.
type tcpLookup func(local, remote netip.AddrPort) (socktable.Entry, bool, error)

// bareCell makes one cell's socket calls: the first socket into its state,
// the second socket's option, bind and listen, and every close. With prove
// set it also proves established and time_wait through it.
func bareCell(c matrix.Cell, prove tcpLookup) error {
	firstOpt, ok1 := bareOption(c.First)
	secondOpt, ok2 := bareOption(c.Second)
	if !ok1 || !ok2 {
		return nil // unsupported: runCell makes no socket either
	}
	var open []int
	defer func() {
		for _, fd := range open {
			unix.Close(fd)
		}
	}()
	first, err := bareSocket(c, firstOpt)
	if err != nil {
		return err
	}
	open = append(open, first)
	if err := unix.Bind(first, bareAddr(c, c.FirstAddr, 0)); err != nil {
		return fmt.Errorf("first bind: %w", err)
	}
	local, err := sockPort(first)
	if err != nil {
		return err
	}
	port := int(local.Port())
	switch c.State {
	case matrix.Listening:
		if err := unix.Listen(first, bareBacklog); err != nil {
			return fmt.Errorf("listen: %w", err)
		}
	case matrix.Established, matrix.TimeWait:
		if err := unix.Listen(first, bareBacklog); err != nil {
			return fmt.Errorf("listen: %w", err)
		}
		client, err := bareSocket(c, 0)
		if err != nil {
			return err
		}
		open = append(open, client)
		if err := unix.Connect(client, bareAddr(c, matrix.Specific, port)); err != nil {
			return fmt.Errorf("connect: %w", err)
		}
		server, _, err := unix.Accept4(first, unix.SOCK_CLOEXEC)
		if err != nil {
			return fmt.Errorf("accept: %w", err)
		}
		open = append(open, server)
		var serverAddr, clientAddr netip.AddrPort
		if prove != nil {
			if serverAddr, err = sockPort(server); err != nil {
				return err
			}
			if clientAddr, err = sockPort(client); err != nil {
				return err
			}
		}
		unix.Close(first)
		open = open[1:]
		if c.State == matrix.Established {
			if prove != nil {
				if e, found, err := prove(serverAddr, clientAddr); err != nil || !found || e.State != socktable.Established {
					return fmt.Errorf("not established: state %v found %v err %v", e.State, found, err)
				}
			}
			// Reset rather than close at the end, as runCell does, so
			// that the connection leaves no TIME_WAIT entry behind.
			for _, fd := range open {
				unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
			}
			break
		}
		// The accepted side closes first and keeps the TIME_WAIT entry.
		unix.Close(server)
		unix.Close(client)
		open = open[:0]
		if prove != nil {
			if err := waitTimeWait(prove, serverAddr, clientAddr); err != nil {
				return err
			}
		}
	case matrix.Closed:
		unix.Close(first)
		open = open[1:]
	}
	second, err := bareSocket(c, secondOpt)
	if err != nil {
		return err
	}
	open = append(open, second)
	// The outcome of bind and listen is the cell's answer, not an error here.
	if unix.Bind(second, bareAddr(c, c.SecondAddr, port)) == nil && unix.Listen(second, bareBacklog) == nil &&
		c.State == matrix.Listening {
		return bareDeliver(c, port, first, second)
	}
	return nil
}

// bareDeliver makes the delivery check's calls: connections in rounds until
// both listeners have accepted some or deliveryCount are sent, each accepted
// and reset.
func bareDeliver(c matrix.Cell, port, first, second int) error {
	var clients []int
	defer func() {
		for _, fd := range clients {
			unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
			unix.Close(fd)
		}
	}()
	unix.SetNonblock(first, true)
	unix.SetNonblock(second, true)
	got := [2]int{}
	accept := func() {
		for i, l := range []int{first, second} {
			for {
				fd, _, err := unix.Accept4(l, unix.SOCK_CLOEXEC)
				if err != nil {
					break
				}
				unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
				unix.Close(fd)
				got[i]++
			}
		}
	}
	for len(clients) < deliveryCount && (got[0] == 0 || got[1] == 0) {
		for range deliveryRound {
			fd, err := bareSocket(c, 0)
			if err != nil {
				return err
			}
			clients = append(clients, fd)
			if err := unix.Connect(fd, bareAddr(c, matrix.Specific, port)); err != nil {
				return fmt.Errorf("delivery connect: %w", err)
			}
		}
		accept()
	}
	for deadline := time.Now().Add(deliver.DefaultPatience); got[0]+got[1] < len(clients) && time.Now().Before(deadline); {
		time.Sleep(50 * time.Microsecond)
		accept()
	}
	return nil
}

// waitTimeWait reads the table until the connection is in TIME_WAIT: the
// close handshake on loopback finishes within microseconds, but not always
// before the first read.
func waitTimeWait(prove tcpLookup, server, client netip.AddrPort) error {
	deadline := time.Now().Add(2 * time.Second)
	for {
		e, found, err := prove(server, client)
		if err != nil {
			return err
		}
		if found && e.State == socktable.TimeWait {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%v<->%v: state %v found %v, want TIME_WAIT", server, client, e.State, found)
		}
		runtime.Gosched()
	}
}

// BenchmarkProcesses runs each process's 2240 cells, and the whole default
// matrix (all three): what another process costs against this one.
func BenchmarkProcesses(b *testing.B) {
	for _, spec := range []string{"process=same", "process=other", "process=other-user", ""} {
		name := spec
		if name == "" {
			name = "default"
		}
		b.Run(name, func(b *testing.B) {
			f, err := matrix.ParseFilter(spec)
			if err != nil {
				b.Fatal(err)
			}
			cells := f.Cells()
			for b.Loop() {
				if obs := Run(context.Background(), cells, Options{}); len(obs.Cells) != len(cells) {
					b.Fatal("cells lost")
				}
			}
			reportPerCell(b, len(cells))
		})
	}
}
