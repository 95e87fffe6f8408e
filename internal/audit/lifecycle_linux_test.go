package audit

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bindmatrix/bindmatrix/internal/inventory"
	"github.com/bindmatrix/bindmatrix/internal/testenv"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// hangBound turns a hang into a failure: an audit of a test server ends
// in about a second, and one that waits on a pipe a stray process holds
// never ends.
const hangBound = 2 * time.Minute

// runBounded runs the audit, failing the test if it does not end.
func runBounded(t *testing.T, ctx context.Context, req Request) (*matrix.Audit, error) {
	t.Helper()
	type result struct {
		a   *matrix.Audit
		err error
	}
	done := make(chan result, 1)
	go func() {
		a, err := Run(ctx, req)
		done <- result{a, err}
	}()
	select {
	case r := <-done:
		return r.a, r.err
	case <-time.After(hangBound):
		t.Fatalf("the audit of %q did not end within %v", req.Command, hangBound)
		return nil, nil
	}
}

// lockedBuffer collects a command's output from several goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// pidsSaid are the numbers the output printed after word.
func pidsSaid(t *testing.T, output, word string) []int {
	t.Helper()
	var pids []int
	for _, m := range regexp.MustCompile(word+` (\d+)`).FindAllStringSubmatch(output, -1) {
		pid, _ := strconv.Atoi(m[1])
		pids = append(pids, pid)
	}
	if len(pids) == 0 {
		t.Fatalf("the command never said %q; its output:\n%s", word, output)
	}
	return pids
}

// gone says whether pid has exited and been reaped.
func gone(pid int) bool { return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) }

// TestADescendantInAnotherSessionIsStopped: the server starts a process
// that calls setsid, as sshd's per-connection children do, and keeps the
// output open. The audit waited for that pipe forever (an interrupt did
// not end it); the restart check took 132 s against sshd. Now the audit
// and its restart end, and the stray is stopped with the server, each
// time.
func TestADescendantInAnotherSessionIsStopped(t *testing.T) {
	_, err := exec.LookPath("setsid")
	testenv.Need(t, err == nil, "setsid (util-linux)", "apt-get install util-linux")
	server, _ := serverCommand(t, matrix.ReuseAddr)
	cmd := append([]string{"sh", "-c", `setsid sleep 100000 & echo "stray $!"; exec "$0" "$@"`}, server...)
	out := &lockedBuffer{}
	a, err := runBounded(t, context.Background(), Request{Command: cmd, Wait: 10 * time.Second, Restart: true, Log: out})
	if err != nil {
		t.Fatal(err)
	}
	if a.Restart == nil || a.Restart.Verdict != matrix.RestartOK {
		t.Errorf("restart %+v, want ok", a.Restart)
	}
	strays := pidsSaid(t, out.String(), "stray")
	if len(strays) != 2 {
		t.Fatalf("strays %v, want one per start (two)", strays)
	}
	for _, pid := range strays {
		if !gone(pid) {
			t.Errorf("the stray in its own session (pid %d) outlived the audit", pid)
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// TestAnInterruptEndsTheAuditOfAServerWithAStray: cancelled while the
// server waits to listen, the audit returns and leaves no process of it,
// the one in another session included.
func TestAnInterruptEndsTheAuditOfAServerWithAStray(t *testing.T) {
	_, err := exec.LookPath("setsid")
	testenv.Need(t, err == nil, "setsid (util-linux)", "apt-get install util-linux")
	out := &lockedBuffer{}
	ctx, cancel := context.WithCancelCause(context.Background())
	cmd := []string{"sh", "-c", `setsid sleep 100000 & echo "stray $!"; exec sleep 100000`}
	go func() {
		for !strings.Contains(out.String(), "stray ") {
			time.Sleep(10 * time.Millisecond)
		}
		cancel(errors.New("interrupted by the test"))
	}()
	if _, err := runBounded(t, ctx, Request{Command: cmd, Wait: time.Hour, Log: out}); err == nil || !strings.Contains(err.Error(), "interrupted by the test") {
		t.Errorf("audit: %v, want the interruption", err)
	}
	for _, pid := range pidsSaid(t, out.String(), "stray") {
		if !gone(pid) {
			t.Errorf("the stray in its own session (pid %d) outlived the interrupted audit", pid)
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// TestADaemonIsAuditedAndStopped: a command that starts its server in the
// background and exits (a daemon, `server &`) left the server listening
// while the audit said it "exited before it listened". The server is
// audited now, restarted, and stopped at the end.
func TestADaemonIsAuditedAndStopped(t *testing.T) {
	_, err := exec.LookPath("setsid")
	testenv.Need(t, err == nil, "setsid (util-linux)", "apt-get install util-linux")
	server, at := serverCommand(t, matrix.ReuseAddr)
	cmd := append([]string{"sh", "-c", `setsid "$0" "$@" </dev/null >/dev/null 2>&1 & exit 0`}, server...)
	a, err := runBounded(t, context.Background(), Request{Command: cmd, Wait: 10 * time.Second, Restart: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Sockets) != 1 || a.Sockets[0].Address != at || a.Sockets[0].Verdict != matrix.Exclusive {
		t.Errorf("sockets %+v (note %q), want the daemon's on %v, exclusive", a.Sockets, a.Note, at)
	}
	if a.Restart == nil || a.Restart.Verdict != matrix.RestartOK {
		t.Errorf("restart %+v, want ok", a.Restart)
	}
	left, err := inventory.List(inventory.Filter{Protos: []matrix.Proto{matrix.TCP}, Port: at.Port()})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range left {
		if s.Local == at {
			t.Errorf("the daemon still listens on %v after the audit: %s", at, fmt.Sprint(s.PIDs))
			for _, pid := range s.PIDs {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
}
