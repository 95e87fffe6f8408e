package child

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bindmatrix/bindmatrix/internal/reexec"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// Patience bounds how long a helper may take to start and answer one
// request; a helper that takes longer is stopped and counted dead.
const Patience = 10 * time.Second

// Helper is the parent's handle on one helper process. Its methods may be
// called from one goroutine at a time.
type Helper struct {
	user    User
	cmd     *exec.Cmd
	in      io.WriteCloser
	out     *os.File      // the helper's answers
	answers *bufio.Reader // reads out, a frame per read where it can
	stderr  *tailBuffer
	seq     uint64
	// unanswered counts closes sent without waiting for their answers:
	// the next request's wait takes them first (the pipe keeps the order).
	unanswered int
	nextID     uint32
	dead       error // why the helper is gone, once it is
	waited     chan struct{}
	once       sync.Once
}

// User says whom a helper runs as: the parent's own user, or another one
// by name (which needs root, and is not offered on Windows).
type User struct{ name string }

var (
	SameUser  = User{}
	OtherUser = User{name: "nobody"} // the matrix's stranger
)

// UserNamed is the user called name; "same" or "" is the parent's own.
func UserNamed(name string) User {
	if name == "same" {
		name = ""
	}
	return User{name: name}
}

func (u User) String() string {
	if u.name == "" {
		return "the same user"
	}
	return "user " + u.name
}

// ErrDead says the helper is gone: it exited, or stopped answering.
var ErrDead = errors.New("the helper process is gone")

// Start starts a helper running as user.
func Start(user User) (*Helper, error) {
	exe, err := executableFor(user)
	if err != nil {
		return nil, err
	}
	cmd := reexec.Command(exe, RoleName)
	if user != SameUser {
		if err := runAs(cmd, user.name); err != nil {
			releaseExecutable(user)
			return nil, err
		}
	}
	in, err := cmd.StdinPipe()
	if err != nil {
		releaseExecutable(user)
		return nil, err
	}
	// Its own pipe rather than StdoutPipe: Wait, in its own goroutine,
	// must not close the pipe under the reader. A blocking one: a read
	// that waits in the kernel wakes sooner than one parked in Go's
	// poller, and a round trip per cell adds up.
	out, w, err := blockingPipe()
	if err != nil {
		releaseExecutable(user)
		return nil, err
	}
	h := &Helper{user: user, cmd: cmd, in: in, out: out, answers: bufio.NewReader(out), stderr: &tailBuffer{}, waited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = w, h.stderr
	err = cmd.Start()
	w.Close()
	if err != nil {
		out.Close()
		releaseExecutable(user)
		return nil, fmt.Errorf("starting a helper process (%s): %w", exe, err)
	}
	go func() { cmd.Wait(); close(h.waited) }()
	return h, nil
}

type reply struct {
	resp Response
	err  error
}

// Alive says the helper still answers.
func (h *Helper) Alive() bool { return h.dead == nil }

// do sends one request and waits for its answer.
func (h *Helper) do(req Request) (Response, error) {
	if h.dead != nil {
		return Response{}, h.dead
	}
	h.seq++
	req.Seq = h.seq
	if err := writeFrame(h.in, req); err != nil {
		return Response{}, h.fail(fmt.Errorf("writing to it: %v", err))
	}
	// The answer is read here, not by a goroutine of its own: a hand-over
	// between goroutines costs as much as the round trip itself. A helper
	// silent for Patience is killed, which ends the read.
	var silent atomic.Bool
	timer := time.AfterFunc(Patience, func() { silent.Store(true); h.cmd.Process.Kill() })
	defer timer.Stop()
	var r reply
	for {
		r = reply{}
		r.err = readFrame(h.answers, &r.resp)
		if r.err != nil || r.resp.Seq == req.Seq || h.unanswered == 0 {
			break
		}
		h.unanswered-- // a close's answer: nothing to report
	}
	switch {
	case r.err != nil && silent.Load():
		return Response{}, h.fail(fmt.Errorf("no answer within %v", Patience))
	case errors.Is(r.err, io.EOF) || errors.Is(r.err, io.ErrUnexpectedEOF):
		return Response{}, h.fail(errors.New("it exited"))
	case r.err != nil:
		return Response{}, h.fail(r.err)
	case r.resp.Seq != req.Seq:
		return Response{}, h.fail(fmt.Errorf("answer %d to request %d", r.resp.Seq, req.Seq))
	}
	return r.resp, nil
}

// fail marks the helper dead and stops it.
func (h *Helper) fail(why error) error {
	h.Stop()
	h.dead = fmt.Errorf("%w (%s): %v%s", ErrDead, h.user, why, h.stderr.says())
	return h.dead
}

// Socket is a socket in the helper, by its number.
type Socket struct {
	h  *Helper
	id uint32
}

// Attempt makes the helper open a socket of fam, set opt, bind addr and,
// for TCP, listen: what sock.Attempt does, in the helper's process. The
// outcome is the answer; err says the attempt could not be made. The
// socket is returned in every case, for the caller to close.
func (h *Helper) Attempt(fam matrix.SocketFamily, proto matrix.Proto, opt matrix.Option, addr netip.AddrPort) (Socket, matrix.Outcome, int, error) {
	h.nextID++
	s := Socket{h: h, id: h.nextID}
	steps := []Step{Open, SetOption, Bind}
	if proto == matrix.TCP {
		steps = append(steps, Listen)
	}
	resp, err := h.do(Request{Socket: s.id, Steps: steps, Family: fam, Proto: proto, Option: opt, Addr: addr})
	if err == nil && resp.Error != "" {
		err = fmt.Errorf("helper process (%s): %s", h.user, resp.Error)
	}
	if err != nil {
		return s, "", 0, err
	}
	if _, perr := matrix.ParseOutcome(string(resp.Outcome)); perr != nil || resp.Outcome == matrix.Unreached || resp.Outcome == matrix.Unknown {
		return s, "", 0, h.fail(fmt.Errorf("answered outcome %q", resp.Outcome))
	}
	return s, resp.Outcome, resp.Native, nil
}

// Drain counts what waits on the socket, as sock.Socket.Drain does.
func (s Socket) Drain() (int, error) {
	resp, err := s.h.do(Request{Socket: s.id, Steps: []Step{Drain}})
	if err == nil && resp.Error != "" {
		err = fmt.Errorf("helper process: %s", resp.Error)
	}
	return resp.Count, err
}

// Close closes the socket in the helper without waiting for the answer
// (a round trip per cell saved): the helper takes requests in order, so
// the socket is closed before it does anything else asked of it. Closing a
// socket of a dead helper does nothing: the helper's sockets died with it.
func (s Socket) Close() error {
	h := s.h
	if h == nil || h.dead != nil {
		return nil
	}
	h.seq++
	if err := writeFrame(h.in, Request{Seq: h.seq, Socket: s.id, Steps: []Step{Close}}); err != nil {
		return h.fail(fmt.Errorf("writing to it: %v", err))
	}
	h.unanswered++
	return nil
}

// Stop ends the helper: closing its input makes it close its sockets and
// exit; one that does not within Patience is killed.
func (h *Helper) Stop() {
	h.once.Do(func() {
		h.in.Close()
		select {
		case <-h.waited:
		case <-time.After(Patience):
			h.cmd.Process.Kill()
			<-h.waited
		}
		h.out.Close()
		releaseExecutable(h.user)
		if h.dead == nil {
			h.dead = fmt.Errorf("%w: stopped", ErrDead)
		}
	})
}

// tailBuffer keeps the end of what a helper writes on stderr, for errors.
type tailBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(p)
	if t.buf.Len() > 4096 {
		t.buf.Next(t.buf.Len() - 4096)
	}
	return len(p), nil
}

func (t *tailBuffer) says() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s := strings.TrimSpace(t.buf.String()); s != "" {
		return " (its stderr: " + s + ")"
	}
	return ""
}
