package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bindmatrix/bindmatrix/internal/inventory"
	"github.com/bindmatrix/bindmatrix/internal/procs"
)

// server is a command the audit started and stops again.
type server struct {
	args []string
	dir  string
	// group is the command and every process it started (package procs:
	// on Linux wherever they went, setsid and daemons included).
	group  *procs.Group
	output *tail
	exited <-chan struct{} // closed once every process of group is gone
	log    io.Writer       // receives its output, and what the audit says about it
	// before are the sockets that served before the command started: where
	// the OS names no owners (Wine), the command's are those that appear.
	before []inventory.Socket
}

// stopGrace is how long a server may take to exit after the polite signal
// before it is killed.
const stopGrace = 5 * time.Second

// errNothingListened says the command did not listen within the wait.
var errNothingListened = errors.New("nothing listened")

// exitedEarly says every process of the command exited before it
// listened.
type exitedEarly struct{ why string }

func (e exitedEarly) Error() string { return e.why }

// startServer starts the command, unless ctx is cancelled: an interrupted
// audit starts nothing more.
func startServer(ctx context.Context, args []string, dir string, log io.Writer) (*server, error) {
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	before, err := inventory.List(inventory.Filter{})
	if err != nil {
		return nil, err
	}
	s := &server{args: args, dir: dir, output: &tail{}, before: before, log: log}
	var out io.Writer = s.output
	if log != nil {
		out = io.MultiWriter(log, s.output)
	}
	g, err := procs.Start(procs.Spec{Args: args, Dir: dir, Stdout: out, Stderr: out})
	if err != nil {
		return nil, fmt.Errorf("starting %s: %w", args[0], err)
	}
	s.group, s.exited = g, g.Exited()
	return s, nil
}

// exitedWhy says how the command exited, once every process of it is gone.
func (s *server) exitedWhy() string { return exitWords(s.group.Err()) }

// settleFor is how long the set of a server's sockets must stay the same
// before the audit takes it as complete: a server opens its sockets one
// after the other, and the audit should see them all (a second listener
// 200 ms after the first was missed with 200 ms). It is at most half the
// wait; the sockets are listed again after the attempts anyway.
func settleFor(wait time.Duration) time.Duration { return min(500*time.Millisecond, wait/2) }

// waitListening waits until the server, or a process it started, listens,
// and until its sockets stop changing; it returns them. Cancelling ctx
// ends the wait with ctx's cause.
func (s *server) waitListening(ctx context.Context, wait time.Duration) ([]inventory.Socket, error) {
	deadline := time.Now().Add(wait)
	var last []inventory.Socket
	var stableSince time.Time
	for {
		select {
		case <-s.exited:
			return nil, exitedEarly{fmt.Sprintf("%s exited before it listened (%s)", s.args[0], s.exitedWhy())}
		default:
		}
		socks, err := s.sockets()
		if err != nil {
			return nil, err
		}
		switch {
		case len(socks) == 0:
		case last == nil || !sameSockets(serving(socks, 0), serving(last, 0)):
			// Serving sockets only: a client's sockets on ephemeral
			// ports (a resolver's queries) come and go all the time.
			last, stableSince = socks, time.Now()
		case time.Since(stableSince) >= settleFor(wait):
			return socks, nil
		}
		if time.Now().After(deadline) {
			if len(last) > 0 {
				return last, nil
			}
			return nil, fmt.Errorf("%w within %v: %s opened no listening TCP or bound UDP socket", errNothingListened, wait, strings.Join(s.args, " "))
		}
		select {
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// sockets are the server's: those held by it or a process it started, or,
// where the OS records no socket's owner (Wine's iphlpapi does not), those
// that appeared since it started.
func (s *server) sockets() ([]inventory.Socket, error) {
	all, err := inventory.List(inventory.Filter{})
	if err != nil {
		return nil, err
	}
	if noOwnerRecorded(all) {
		return appearedSince(all, s.before, strings.Join(s.args, " ")), nil
	}
	tree, err := inventory.Tree(s.group.Root())
	if err != nil && !errors.Is(err, inventory.ErrNoProcess) {
		return nil, err
	}
	return heldBy(all, tree, os.Getpid()), nil
}

// noOwnerRecorded says whether the OS records the owner of none of the
// sockets. An owner recorded but not found (on Linux, a socket some other
// program is handing over, or about to close) does not count: taking
// such a socket for the server's would attack someone else's.
func noOwnerRecorded(all []inventory.Socket) bool {
	return !slices.ContainsFunc(all, func(x inventory.Socket) bool { return !x.Unrecorded })
}

// appearedSince are the sockets of all that were not among before, taken
// as command's.
func appearedSince(all, before []inventory.Socket, command string) []inventory.Socket {
	appeared := slices.DeleteFunc(all, func(x inventory.Socket) bool {
		return slices.ContainsFunc(before, func(b inventory.Socket) bool { return b.Proto == x.Proto && b.Local == x.Local })
	})
	for i := range appeared {
		appeared[i].Command = command
		appeared[i].Unknown = "this OS names no socket's owner; the socket is taken as the command's because it appeared after the command started"
	}
	return appeared
}

// heldBy are the sockets of all that a process of tree holds, but not
// self: a socket the audit holds too is its own, which the command
// inherited (a descriptor without close-on-exec, from whoever started the
// audit).
//
// Rows of several processes merged on one address (lsof, sockstat) keep
// only the holders in tree: another program's among them is another
// socket, which is not to get the server's test traffic.
func heldBy(all []inventory.Socket, tree []int, self int) []inventory.Socket {
	held := slices.DeleteFunc(all, func(x inventory.Socket) bool {
		return slices.Contains(x.PIDs, self) || !slices.ContainsFunc(x.PIDs, func(p int) bool { return slices.Contains(tree, p) })
	})
	for i, x := range held {
		if x.Merged {
			held[i].PIDs = slices.DeleteFunc(slices.Clone(x.PIDs), func(p int) bool { return !slices.Contains(tree, p) })
		}
	}
	return held
}

func sameSockets(a, b []inventory.Socket) bool {
	return slices.EqualFunc(a, b, func(x, y inventory.Socket) bool { return x.Proto == y.Proto && x.Local == y.Local })
}

// stop asks every process of the server to exit (SIGTERM; CTRL_BREAK to
// its console process group on Windows), kills them after stopGrace, and
// gives up waiting stopGrace later: every wait is bounded.
func (s *server) stop() {
	if !s.group.Stop(stopGrace) && s.log != nil {
		fmt.Fprintf(s.log, "bindmatrix: %s: some of its processes were still there %v after SIGKILL\n", s.args[0], stopGrace)
	}
}

// tail keeps the end of a server's output, to show when it fails.
type tail struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

const tailSize = 4 << 10

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(p)
	if t.buf.Len() > tailSize {
		t.buf.Next(t.buf.Len() - tailSize)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(t.buf.String())
}

// lastLines is the end of the output, a few lines of it.
func (t *tail) lastLines(n int) string {
	lines := strings.Split(t.String(), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// says is the end of the output for an error message, if there is any.
func (t *tail) says() string {
	if s := t.lastLines(10); s != "" {
		return "; its output ends:\n" + s
	}
	return ""
}
