package inventory

import (
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"testing"

	"github.com/bindmatrix/bindmatrix/internal/host"
	"github.com/bindmatrix/bindmatrix/internal/reexec"
	"github.com/bindmatrix/bindmatrix/internal/sock"
	"github.com/bindmatrix/bindmatrix/internal/socktable"
	"github.com/bindmatrix/bindmatrix/matrix"
)

var sleeper = reexec.Role{Name: "sleeper", Main: func() int {
	os.Stdin.Read(make([]byte, 1)) // until the test closes our input
	return 0
}}

func TestMain(m *testing.M) {
	reexec.Main(sleeper)
	os.Exit(m.Run())
}

// TestListFindsOurOwnSockets: a listener and a bound UDP socket of this
// process are listed with this process as their holder; a connected
// socket on the port is not a server and is left out.
func TestListFindsOurOwnSockets(t *testing.T) {
	if host.UnderWine() {
		t.Skip("skipped under Wine: its GetExtendedTcpTable and GetExtendedUdpTable name no owning process (every row has pid 0); real Windows does")
	}
	for _, proto := range matrix.Protos() {
		s, outcome, _, err := sock.Attempt(matrix.SockIPv4, proto, matrix.None, sock.Addr(matrix.SockIPv4, matrix.Specific, 0))
		if err != nil || outcome != matrix.OK {
			t.Fatalf("%s: %s %v", proto, outcome, err)
		}
		defer s.Close()
		at, _ := s.LocalAddr()
		if proto == matrix.TCP {
			c, _ := sock.Open(matrix.SockIPv4, proto)
			if err := c.Connect(at); err != nil {
				t.Fatal(err)
			}
			defer c.Abort()
		}
		got, err := List(Filter{Protos: []matrix.Proto{proto}, Port: at.Port()})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Local != at || got[0].Family != matrix.SockIPv4 || !slices.Contains(got[0].PIDs, os.Getpid()) {
			t.Fatalf("%s port %d: %+v, want this process's socket on %v alone", proto, at.Port(), got, at)
		}
		mine, err := List(Filter{Protos: []matrix.Proto{proto}, PIDs: []int{os.Getpid()}})
		if err != nil || !slices.ContainsFunc(mine, func(s Socket) bool { return s.Local == at }) {
			t.Errorf("%s sockets of pid %d: %+v %v, want %v among them", proto, os.Getpid(), mine, err, at)
		}
	}
}

// TestTreeFindsChildren: a process this one started is in its tree.
func TestTreeFindsChildren(t *testing.T) {
	self, _ := reexec.Self()
	cmd := reexec.Command(self, "sleeper")
	in, _ := cmd.StdinPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { in.Close(); cmd.Wait() }()
	tree, err := Tree(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(tree, os.Getpid()) || !slices.Contains(tree, cmd.Process.Pid) {
		t.Errorf("tree of %d is %v, without this process or its child %d", os.Getpid(), tree, cmd.Process.Pid)
	}
}

func TestExistsRefusesMissingProcesses(t *testing.T) {
	if err := Exists(os.Getpid()); err != nil {
		t.Errorf("this process: %v", err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range []int{0, -1, cmd.Process.Pid} {
		if err := Exists(pid); !errors.Is(err, ErrNoProcess) {
			t.Errorf("pid %d: %v, want ErrNoProcess", pid, err)
		}
	}
}

// TestRowsOfOneSocketMerge: the rows a tool prints for one address make
// one socket with every holder, marked Merged (they may be several
// sockets); a row naming none (sockstat's "?", a process gone) leaves no
// reason once another names one, and is never Unrecorded: the tool
// records owners. Two rows of one process are one socket.
func TestRowsOfOneSocketMerge(t *testing.T) {
	at := netip.MustParseAddrPort("0.0.0.0:80")
	entries := []socktable.Entry{
		{Proto: "tcp", Local: at, PID: -1, Command: "?"},
		{Proto: "tcp", Local: at, PID: 12, Command: "nginx"},
		{Proto: "tcp", Local: at, PID: 11},
		{Proto: "tcp", Local: netip.MustParseAddrPort("0.0.0.0:81"), PID: -1},
		{Proto: "tcp", Local: netip.MustParseAddrPort("0.0.0.0:82"), PID: 7},
		{Proto: "tcp", Local: netip.MustParseAddrPort("0.0.0.0:82"), PID: 7},
	}
	got := fromEntries(entries, matrix.TCP, Filter{}, "no holder")
	if len(got) != 3 {
		t.Fatalf("%+v, want a socket on each of 3 ports", got)
	}
	if !slices.Equal(got[0].PIDs, []int{11, 12}) || got[0].Command != "nginx" || got[0].Unknown != "" || got[0].Unrecorded || !got[0].Merged {
		t.Errorf("port 80: %+v, want nginx held by 11 and 12, merged, with no reason", got[0])
	}
	if got[1].Unknown != "no holder" || got[1].Unrecorded || got[1].Merged {
		t.Errorf("port 81: %+v, want no holder, with the reason, not Unrecorded", got[1])
	}
	if !slices.Equal(got[2].PIDs, []int{7}) || got[2].Merged {
		t.Errorf("port 82: %+v, want one socket of pid 7, not merged", got[2])
	}
}
