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
//
// Requests may be sent ahead of their answers (Begin, CloseLater): they
// wait in a buffer until the next wait for an answer or Flush sends them
// together, and the helper answers a read's worth of them with one write.
// A process switch per cell is what another process costs, and under
// emulation (QEMU's TCG, Wine's server) it costs milliseconds.
type Helper struct {
	user    User
	cmd     *exec.Cmd
	pipe    io.WriteCloser // the helper's standard input
	in      *bufio.Writer  // requests not yet sent, to pipe
	out     *os.File       // the helper's answers
	answers *bufio.Reader  // reads out, many frames per read where it can
	stderr  *tailBuffer
	seq     uint64
	// awaited lists the requests sent whose answers are still to be read,
	// in the order sent: the pipe keeps it, so answers come in it too.
	awaited []sent
	// early holds answers read before anyone asked for them.
	early  map[uint64]Response
	nextID uint32
	dead   error // why the helper is gone, once it is
	waited chan struct{}
	once   sync.Once
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
	// A running helper needs no file: the copy made for another user goes
	// as soon as the helper has started from it (or failed to), so that an
	// interrupt, even a second one that exits at once, leaves none behind.
	defer releaseExecutable(user)
	cmd := reexec.Command(exe, RoleName)
	if user != SameUser {
		if err := runAs(cmd, user.name); err != nil {
			return nil, err
		}
	}
	pipe, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	// Its own pipe rather than StdoutPipe: Wait, in its own goroutine,
	// must not close the pipe under the reader. A blocking one: a read
	// that waits in the kernel wakes sooner than one parked in Go's
	// poller, and a round trip per cell adds up.
	out, w, err := blockingPipe()
	if err != nil {
		return nil, err
	}
	h := &Helper{user: user, cmd: cmd, pipe: pipe, in: bufio.NewWriterSize(pipe, frameBuffer), out: out,
		answers: bufio.NewReaderSize(out, frameBuffer), stderr: &tailBuffer{}, early: map[uint64]Response{}, waited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = w, h.stderr
	// Every wait bounded: the helper starts nothing, but whatever held
	// its stderr once it is gone would keep Wait (and Stop) waiting.
	cmd.WaitDelay = Patience
	err = cmd.Start()
	w.Close()
	if err != nil {
		out.Close()
		return nil, fmt.Errorf("starting a helper process (%s): %w", exe, err)
	}
	go func() { cmd.Wait(); close(h.waited) }()
	return h, nil
}

// Alive says the helper still answers.
func (h *Helper) Alive() bool { return h.dead == nil }

// Pid is the helper's process ID.
func (h *Helper) Pid() int { return h.cmd.Process.Pid }

// maxInFlight bounds the requests sent and not yet answered. A helper
// blocked writing answers nobody reads and a parent blocked writing
// requests would wait for each other, each pipe full. An answer is at most
// about 200 bytes (its error is cut at maxError), and a pipe holds at least
// a page, 4 KB (Windows documents no size for CreatePipe's "default buffer
// size", learn.microsoft.com/en-us/windows/win32/api/namedpipeapi/nf-namedpipeapi-createpipe;
// pipe(7): Linux rounds a smaller F_SETPIPE_SZ up to a page), so 16 unread answers never
// fill one, and the helper never blocks while the parent writes. A batch
// of cells has 8 attempts, then 8 closes, in flight.
const maxInFlight = 16

// sent is a request whose answer is still to be read; wanted says someone
// will ask for it (nobody asks for a close's).
type sent struct {
	seq    uint64
	wanted bool
}

// send queues req and returns its Seq; it reaches the helper with the next
// flush.
func (h *Helper) send(req Request, wanted bool) (uint64, error) {
	for len(h.awaited) >= maxInFlight {
		oldest := h.awaited[0]
		resp, err := h.await(oldest.seq)
		if err != nil {
			return 0, err
		}
		if oldest.wanted {
			h.early[oldest.seq] = resp
		}
	}
	if h.dead != nil {
		return 0, h.dead
	}
	h.seq++
	req.Seq = h.seq
	if err := writeFrame(h.in, req); err != nil {
		return 0, h.fail(fmt.Errorf("writing to it: %v", err))
	}
	h.awaited = append(h.awaited, sent{req.Seq, wanted})
	return req.Seq, nil
}

// Flush sends the requests queued so far.
func (h *Helper) Flush() error {
	if h.dead != nil {
		return h.dead
	}
	if err := h.in.Flush(); err != nil {
		return h.fail(fmt.Errorf("writing to it: %v", err))
	}
	return nil
}

// await returns the answer to request seq, sending what is queued first.
// Answers to other requests read on the way are kept for their own await,
// or dropped when nobody waits for them (a close's).
func (h *Helper) await(seq uint64) (Response, error) {
	if resp, ok := h.early[seq]; ok {
		delete(h.early, seq)
		return resp, nil
	}
	// The answer is read here, not by a goroutine of its own: a hand-over
	// between goroutines costs as much as the round trip itself. A helper
	// that takes our requests or answers them no sooner than Patience is
	// killed, which ends the write or the read.
	var silent atomic.Bool
	timer := time.AfterFunc(Patience, func() { silent.Store(true); h.cmd.Process.Kill() })
	defer timer.Stop()
	if err := h.in.Flush(); err != nil {
		if silent.Load() {
			return Response{}, h.fail(fmt.Errorf("it took no request within %v", Patience))
		}
		return Response{}, h.fail(fmt.Errorf("writing to it: %v", err))
	}
	for len(h.awaited) > 0 {
		var resp Response
		err := readFrame(h.answers, &resp)
		switch {
		case err != nil && silent.Load():
			return Response{}, h.fail(fmt.Errorf("no answer within %v", Patience))
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			return Response{}, h.fail(errors.New("it exited"))
		case err != nil:
			return Response{}, h.fail(err)
		case resp.Seq != h.awaited[0].seq:
			return Response{}, h.fail(fmt.Errorf("answer %d where %d was due", resp.Seq, h.awaited[0].seq))
		}
		due := h.awaited[0]
		h.awaited = h.awaited[1:]
		if resp.Seq == seq {
			return resp, nil
		}
		if due.wanted {
			h.early[resp.Seq] = resp
		}
	}
	return Response{}, h.fail(fmt.Errorf("waiting for answer %d, which was never asked", seq))
}

// do sends one request and waits for its answer.
func (h *Helper) do(req Request) (Response, error) {
	seq, err := h.send(req, true)
	if err != nil {
		return Response{}, err
	}
	return h.await(seq)
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
	return h.Begin(fam, proto, opt, addr).Wait()
}

// Make makes the helper open a socket of fam, set each option of opts,
// bind addr and, if listen, listen: an arrangement's socket in another
// process. As with Attempt, the outcome is the answer, err says the
// socket could not be made at all, and the socket is returned for the
// caller to close. A request carries one option, so each option is a
// request of its own; the first failure ends it.
func (h *Helper) Make(fam matrix.SocketFamily, proto matrix.Proto, opts []matrix.Option, addr netip.AddrPort, listen bool) (Socket, matrix.Outcome, int, error) {
	h.nextID++
	s := Socket{h: h, id: h.nextID}
	reqs := []Request{{Socket: s.id, Steps: []Step{Open}, Family: fam, Proto: proto}}
	for _, o := range opts {
		reqs = append(reqs, Request{Socket: s.id, Steps: []Step{SetOption}, Option: o})
	}
	last := Request{Socket: s.id, Steps: []Step{Bind}, Addr: addr}
	if listen {
		last.Steps = append(last.Steps, Listen)
	}
	for _, req := range append(reqs, last) {
		resp, err := h.do(req)
		if err == nil && resp.Error != "" {
			err = fmt.Errorf("helper process (%s): %s", h.user, resp.Error)
		}
		if err != nil {
			return s, "", 0, err
		}
		if resp.Outcome == "" && req.Steps[0] == Open {
			continue
		}
		if _, perr := matrix.ParseOutcome(string(resp.Outcome)); perr != nil || resp.Outcome == matrix.Unreached || resp.Outcome == matrix.Unknown {
			return s, "", 0, h.fail(fmt.Errorf("answered outcome %q", resp.Outcome))
		}
		if resp.Outcome != matrix.OK {
			return s, resp.Outcome, resp.Native, nil
		}
	}
	return s, matrix.OK, 0, nil
}

// Pending is an attempt asked of a helper whose answer is still to come.
type Pending struct {
	s   Socket
	seq uint64
	err error
}

// Begin queues the request Attempt makes, without waiting: attempts begun
// together reach the helper together, and are answered together.
func (h *Helper) Begin(fam matrix.SocketFamily, proto matrix.Proto, opt matrix.Option, addr netip.AddrPort) Pending {
	h.nextID++
	s := Socket{h: h, id: h.nextID}
	steps := []Step{Open, SetOption, Bind}
	if proto == matrix.TCP {
		steps = append(steps, Listen)
	}
	seq, err := h.send(Request{Socket: s.id, Steps: steps, Family: fam, Proto: proto, Option: opt, Addr: addr}, true)
	return Pending{s: s, seq: seq, err: err}
}

// Wait returns what Attempt would have.
func (p Pending) Wait() (Socket, matrix.Outcome, int, error) {
	s, h := p.s, p.s.h
	if p.err != nil {
		return s, "", 0, p.err
	}
	resp, err := h.await(p.seq)
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

// Settle sends what is queued and reads every answer still due, keeping
// those someone will ask for: once it returns, the helper has done all it
// was asked, closes included.
func (h *Helper) Settle() error {
	if h.dead != nil {
		return h.dead
	}
	if len(h.awaited) == 0 {
		return h.Flush()
	}
	last := h.awaited[len(h.awaited)-1]
	resp, err := h.await(last.seq)
	if err == nil && last.wanted {
		h.early[last.seq] = resp
	}
	return err
}

// Close closes the socket in the helper without waiting for the answer
// (a round trip per cell saved): the helper takes requests in order, so
// the socket is closed before it does anything else asked of it. Closing a
// socket of a dead helper does nothing: the helper's sockets died with it.
func (s Socket) Close() error {
	if err := s.CloseLater(); err != nil || s.h == nil {
		return err
	}
	if s.h.dead != nil {
		return nil
	}
	return s.h.Flush()
}

// CloseLater queues the close with the helper's other requests: it reaches
// the helper with the next Flush or wait for an answer, and until then the
// socket holds its port.
func (s Socket) CloseLater() error {
	h := s.h
	if h == nil || h.dead != nil {
		return nil
	}
	_, err := h.send(Request{Socket: s.id, Steps: []Step{Close}}, false)
	return err
}

// Stop ends the helper: closing its input makes it close its sockets and
// exit; one that does not within Patience is killed.
func (h *Helper) Stop() {
	h.once.Do(func() {
		h.in.Flush() // the closes queued; the helper closes the rest anyway
		h.pipe.Close()
		select {
		case <-h.waited:
		case <-time.After(Patience):
			h.cmd.Process.Kill()
			<-h.waited
		}
		h.out.Close()
		if h.dead == nil {
			h.dead = fmt.Errorf("%w: stopped", ErrDead)
		}
	})
}

// Kill kills the helper's process, from any goroutine: a read waiting for
// its answer ends with its pipe, and the helper counts dead. Stop is still
// to be called, from the helper's own goroutine.
func (h *Helper) Kill() { h.cmd.Process.Kill() }

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
