package child

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/bindmatrix/bindmatrix/internal/ports"
	"github.com/bindmatrix/bindmatrix/internal/reexec"
	"github.com/bindmatrix/bindmatrix/internal/sock"
	"github.com/bindmatrix/bindmatrix/internal/testenv"
	"github.com/bindmatrix/bindmatrix/matrix"
)

func TestMain(m *testing.M) {
	reexec.Main(Role) // the helpers these tests start are this test binary
	os.Exit(m.Run())
}

// listener holds a TCP listener on a loopback port of this process.
func listener(t *testing.T, opt matrix.Option) (sock.Socket, netip.AddrPort) {
	t.Helper()
	s, outcome, _, err := sock.Attempt(matrix.SockIPv4, matrix.TCP, opt, sock.Addr(matrix.SockIPv4, matrix.Specific, 0))
	if err != nil || outcome != matrix.OK {
		t.Fatalf("listener: %v %v", outcome, err)
	}
	t.Cleanup(func() { s.Close() })
	at, _ := s.LocalAddr()
	return s, at
}

func startHelper(t *testing.T, u User) *Helper {
	t.Helper()
	h, err := Start(u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Stop)
	return h
}

// TestHelperAnswersLikeThisProcess: one helper serves many attempts, and
// answers each as a socket of this process would.
func TestHelperAnswersLikeThisProcess(t *testing.T) {
	h := startHelper(t, SameUser)
	_, busy := listener(t, matrix.None)
	// What this process meets: EADDRINUSE on Linux, EACCES on Windows.
	here, want, _, err := sock.Attempt(matrix.SockIPv4, matrix.TCP, matrix.ReuseAddr, busy)
	if err != nil || want.Call() != "bind" {
		t.Fatalf("a bind over a listener in this process: %s %v, want a bind error", want, err)
	}
	here.Close()
	for range 3 {
		s, outcome, native, err := h.Attempt(matrix.SockIPv4, matrix.TCP, matrix.ReuseAddr, busy)
		if err != nil {
			t.Fatal(err)
		}
		if outcome != want || native == 0 {
			t.Errorf("a bind over a listener: %s (%d), want %s as in this process", outcome, native, want)
		}
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}
	free := netip.AddrPortFrom(busy.Addr(), 0)
	s, outcome, _, err := h.Attempt(matrix.SockIPv4, matrix.UDP, matrix.None, free)
	if err != nil || outcome != matrix.OK {
		t.Fatalf("a bind to port 0: %s %v", outcome, err)
	}
	if n, err := s.Drain(); err != nil || n != 0 {
		t.Errorf("drain of an idle socket: %d %v", n, err)
	}
	s.Close()
	if _, err := s.Drain(); err == nil {
		t.Error("a closed socket drained")
	}
	if !sock.OptionExists(matrix.ExclusiveAddrUse) {
		_, outcome, _, err := h.Attempt(matrix.SockIPv4, matrix.TCP, matrix.ExclusiveAddrUse, free)
		if err != nil || outcome != matrix.Unsupported {
			t.Errorf("an option this OS lacks: %s %v, want unsupported", outcome, err)
		}
	}
}

// helperListener makes h listen on a free loopback port.
func helperListener(t *testing.T, h *Helper) (Socket, netip.AddrPort) {
	t.Helper()
	port, err := ports.Probe(matrix.TCP, 0)
	if err != nil {
		t.Fatal(err)
	}
	at := sock.Addr(matrix.SockIPv4, matrix.Specific, port)
	s, outcome, _, err := h.Attempt(matrix.SockIPv4, matrix.TCP, matrix.None, at)
	if err != nil || outcome != matrix.OK {
		t.Fatalf("a helper's listener: %s %v", outcome, err)
	}
	return s, at
}

// TestHelperCountsConnections: a helper's listener counts what it takes.
func TestHelperCountsConnections(t *testing.T) {
	h := startHelper(t, SameUser)
	s, at := helperListener(t, h)
	defer s.Close()
	for range 3 {
		c, _ := sock.Open(matrix.SockIPv4, matrix.TCP)
		if err := c.Connect(at); err != nil {
			t.Fatal(err)
		}
		defer c.Abort()
	}
	// Loopback queues a connection before connect returns; the deadline
	// only stops a broken helper from hanging the test.
	total := 0
	for deadline := time.Now().Add(5 * time.Second); total < 3 && time.Now().Before(deadline); {
		n, err := s.Drain()
		if err != nil {
			t.Fatal(err)
		}
		total += n
	}
	if total != 3 {
		t.Errorf("counted %d of 3 connections", total)
	}
}

// TestDeadHelperIsReported: a helper that dies is not an answer: every call
// after says it is gone, and why.
func TestDeadHelperIsReported(t *testing.T) {
	h := startHelper(t, SameUser)
	if err := h.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_, _, _, err := h.Attempt(matrix.SockIPv4, matrix.TCP, matrix.None, sock.Addr(matrix.SockIPv4, matrix.Specific, 0))
	if !errors.Is(err, ErrDead) || h.Alive() {
		t.Fatalf("attempt through a killed helper: %v (alive %v), want ErrDead", err, h.Alive())
	}
	if _, _, _, again := h.Attempt(matrix.SockIPv4, matrix.TCP, matrix.None, netip.AddrPort{}); !errors.Is(again, ErrDead) {
		t.Errorf("second attempt: %v", again)
	}
}

// TestOtherUserHelper: a helper running as another user binds (the copy
// of the binary it runs from: TestNoCopyOfTheBinaryWhileAHelperRuns).
func TestOtherUserHelper(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("skipped on windows: a helper as another user is not offered there (no setuid; see the README)")
	}
	testenv.Need(t, os.Geteuid() == 0, "root (a helper as another user)", "run the tests as root")
	h := startHelper(t, OtherUser)
	_, busy := listener(t, matrix.ReusePort)
	s, outcome, _, err := h.Attempt(matrix.SockIPv4, matrix.TCP, matrix.ReusePort, busy)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	// SO_REUSEPORT groups are per user (socket(7)): a stranger cannot join.
	if outcome != matrix.Failed("bind", "EADDRINUSE") {
		t.Errorf("another user joining a SO_REUSEPORT listener: %s, want bind:EADDRINUSE", outcome)
	}
}

// TestServeRefusesBadFrames: a corrupt frame ends the helper with an
// error, never an allocation of what the length claims.
func TestServeRefusesBadFrames(t *testing.T) {
	var huge bytes.Buffer
	binary.Write(&huge, binary.BigEndian, uint32(1<<31))
	var notJSON bytes.Buffer
	binary.Write(&notJSON, binary.BigEndian, uint32(3))
	notJSON.WriteString("{{{")
	for name, in := range map[string]io.Reader{"huge": &huge, "not json": &notJSON, "cut short": strings.NewReader("\x00\x00\x00\x10{}")} {
		if err := Serve(in, io.Discard); err == nil {
			t.Errorf("%s: served", name)
		}
	}
	if err := Serve(strings.NewReader(""), io.Discard); err != nil {
		t.Errorf("an empty input is a clean end: %v", err)
	}
}

// TestServeSteps runs the protocol in this process: steps stop at the first
// failure, and unknown sockets or steps are errors, not outcomes.
func TestServeSteps(t *testing.T) {
	_, busy := listener(t, matrix.None)
	var in, out bytes.Buffer
	for _, r := range []Request{
		{Seq: 1, Socket: 1, Steps: []Step{Open, SetOption, Bind, Listen}, Family: matrix.SockIPv4, Proto: matrix.TCP, Addr: busy},
		{Seq: 2, Socket: 9, Steps: []Step{Drain}},
		{Seq: 3, Socket: 1, Steps: []Step{"dance"}},
		{Seq: 4, Socket: 1, Steps: []Step{Close, Close}},
	} {
		writeFrame(&in, r)
	}
	if err := Serve(&in, &out); err != nil {
		t.Fatal(err)
	}
	var got []Response
	for {
		var r Response
		if err := readFrame(&out, &r); err != nil {
			break
		}
		got = append(got, r)
	}
	if len(got) != 4 {
		t.Fatalf("%d answers to 4 requests: %+v", len(got), got)
	}
	if got[0].Outcome != matrix.Failed("bind", "EADDRINUSE") || got[0].Error != "" {
		t.Errorf("bind over a listener: %+v", got[0])
	}
	for i, want := range map[int]string{1: "no socket 9", 2: `unknown step "dance"`, 3: "close: no socket 1"} {
		if !strings.Contains(got[i].Error, want) || got[i].Outcome != "" {
			t.Errorf("answer %d: %+v, want error %q", i+1, got[i], want)
		}
	}
}

// TestBegunAttemptsAnswerInAnyOrder: attempts begun together are answered
// each as alone, whatever order they are waited for in, with closes queued
// between them; and far more than fit in the pipes do not block.
func TestBegunAttemptsAnswerInAnyOrder(t *testing.T) {
	h := startHelper(t, SameUser)
	_, busy := listener(t, matrix.None)
	free := netip.AddrPortFrom(busy.Addr(), 0)
	here, inUse, _, err := sock.Attempt(matrix.SockIPv4, matrix.TCP, matrix.None, busy)
	if err != nil || inUse.Call() != "bind" {
		t.Fatalf("a bind over a listener in this process: %s %v, want a bind error", inUse, err)
	}
	here.Close()
	var pending []Pending
	var wants []matrix.Outcome
	for i := range 3 * maxInFlight {
		if i%2 == 0 {
			pending = append(pending, h.Begin(matrix.SockIPv4, matrix.TCP, matrix.None, busy))
			wants = append(wants, inUse)
		} else {
			pending = append(pending, h.Begin(matrix.SockIPv4, matrix.UDP, matrix.None, free))
			wants = append(wants, matrix.OK)
		}
	}
	for i := len(pending) - 1; i >= 0; i-- {
		s, outcome, _, err := pending[i].Wait()
		if err != nil {
			t.Fatalf("attempt %d: %v", i, err)
		}
		if outcome != wants[i] {
			t.Errorf("attempt %d: %s, want %s", i, outcome, wants[i])
		}
		if err := s.CloseLater(); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Flush(); err != nil {
		t.Fatal(err)
	}
	// The closes were taken: a request after them is answered.
	if _, outcome, _, err := h.Attempt(matrix.SockIPv4, matrix.UDP, matrix.None, free); err != nil || outcome != matrix.OK {
		t.Errorf("an attempt after the closes: %s %v", outcome, err)
	}
}

// TestSettleWaitsForTheCloses: once Settle returns, a close queued with
// CloseLater has been done, and the port is free again; before, it is not.
func TestSettleWaitsForTheCloses(t *testing.T) {
	h := startHelper(t, SameUser)
	s, at := helperListener(t, h)
	if err := s.CloseLater(); err != nil {
		t.Fatal(err)
	}
	early, busy, _, _ := sock.Attempt(matrix.SockIPv4, matrix.TCP, matrix.None, at)
	early.Close()
	if busy.Call() != "bind" {
		t.Fatalf("a bind while the close was only queued: %s, want a bind error (else the test proves nothing)", busy)
	}
	if err := h.Settle(); err != nil {
		t.Fatal(err)
	}
	here, outcome, _, err := sock.Attempt(matrix.SockIPv4, matrix.TCP, matrix.None, at)
	if err != nil || outcome != matrix.OK {
		t.Errorf("a bind after Settle: %s %v, want ok: the helper had not closed", outcome, err)
	}
	here.Close()
}
