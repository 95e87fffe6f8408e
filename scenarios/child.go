package scenarios

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// A process=other cell's second socket lives in a child process: the same
// binary, started again with childEnv describing the socket. That is how a
// takeover happens in practice: another program binds the port. The child
// answers on its standard output: first the outcome ("ok 0",
// "bind:EADDRINUSE 98"), then one count per "drain" line it reads.

const childEnv = "BINDMATRIX_SECOND_SOCKET"

// childPatience bounds how long a child may take to start and answer.
const childPatience = 10 * time.Second

// ChildMain serves as a cell's second socket when this process was started
// for that, and exits; otherwise it returns at once. Every binary that runs
// cells calls it first thing in main (and test binaries in TestMain).
func ChildMain() {
	req, ok := os.LookupEnv(childEnv)
	if !ok {
		return
	}
	os.Exit(serveChild(req, os.Stdin, os.Stdout))
}

// childRequest spells what the child needs of a cell, as key=value words.
func childRequest(c matrix.Cell, port uint16) string {
	return fmt.Sprintf("proto=%s second_family=%s second_addr=%s second=%s port=%d",
		c.Proto, c.SecondFamily, c.SecondAddr, c.Second, port)
}

func parseChildRequest(req string) (matrix.Cell, uint16, error) {
	var c matrix.Cell
	var port uint64
	var err error
	for _, word := range strings.Fields(req) {
		key, value, _ := strings.Cut(word, "=")
		switch key {
		case "proto":
			c.Proto, err = matrix.ParseProto(value)
		case "second_family":
			c.SecondFamily, err = matrix.ParseSocketFamily(value)
		case "second_addr":
			c.SecondAddr, err = matrix.ParseAddr(value)
		case "second":
			c.Second, err = matrix.ParseOption(value)
		case "port":
			port, err = strconv.ParseUint(value, 10, 16)
		default:
			err = fmt.Errorf("unknown key %q", key)
		}
		if err != nil {
			return c, 0, fmt.Errorf("%s=%q: %v", childEnv, req, err)
		}
	}
	return c, uint16(port), nil
}

func serveChild(req string, in io.Reader, out io.Writer) int {
	c, port, err := parseChildRequest(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	s, err := bindSecond(c, port)
	defer s.close()
	outcome, native := matrix.OK, 0
	if err != nil {
		outcome, native = outcomeOf(err)
	}
	fmt.Fprintf(out, "%s %d\n", outcome, native)
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		if sc.Text() != "drain" {
			continue
		}
		n, err := s.drain(c.Proto)
		if err != nil {
			fmt.Fprintf(out, "error %v\n", err)
			continue
		}
		fmt.Fprintf(out, "%d\n", n)
	}
	return 0
}

// childSecond is the parent's handle on a child's second socket.
type childSecond struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	lines   chan string
	stderr  *bytes.Buffer
	result  matrix.Outcome
	native  int
	stopped sync.Once
}

func startChild(c matrix.Cell, port uint16) (secondSocket, error) {
	exe, err := childExecutable(c.Process)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), childEnv+"="+childRequest(c, port))
	if c.Process == matrix.OtherUser {
		if err := runAsOtherUser(cmd); err != nil {
			return nil, err
		}
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	ch := &childSecond{cmd: cmd, stdin: stdin, lines: make(chan string, 1), stderr: &bytes.Buffer{}}
	cmd.Stderr = ch.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", exe, err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			ch.lines <- sc.Text()
		}
		close(ch.lines)
	}()
	first, err := ch.read()
	if err == nil {
		word, num, _ := strings.Cut(first, " ")
		ch.native, _ = strconv.Atoi(num)
		ch.result, err = matrix.ParseOutcome(word)
	}
	if err != nil {
		ch.close()
		return nil, fmt.Errorf("%v (stderr: %s)", err, strings.TrimSpace(ch.stderr.String()))
	}
	return ch, nil
}

func (ch *childSecond) read() (string, error) {
	select {
	case line, ok := <-ch.lines:
		if !ok {
			return "", fmt.Errorf("the child exited without answering")
		}
		return line, nil
	case <-time.After(childPatience):
		return "", fmt.Errorf("the child did not answer within %v", childPatience)
	}
}

func (ch *childSecond) outcome() (matrix.Outcome, int) { return ch.result, ch.native }

func (ch *childSecond) drain() (int, error) {
	if _, err := io.WriteString(ch.stdin, "drain\n"); err != nil {
		return 0, err
	}
	line, err := ch.read()
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(line)
	if err != nil {
		return 0, fmt.Errorf("child: %s", line)
	}
	return n, nil
}

// close ends the child: closing its input makes it close its socket and
// exit; one that does not is killed.
func (ch *childSecond) close() {
	ch.stopped.Do(func() {
		ch.stdin.Close()
		done := make(chan struct{})
		go func() { ch.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(childPatience):
			ch.cmd.Process.Kill()
			<-done
		}
	})
}

// The binary children run. Another user may not be able to read a test
// binary in a private build directory, so that child runs from a copy in a
// directory anyone can read, made once per process.
var otherUserExe struct {
	mu   sync.Mutex
	path string
}

func childExecutable(p matrix.Process) (string, error) {
	exe, err := os.Executable()
	if err != nil || p != matrix.OtherUser {
		return exe, err
	}
	otherUserExe.mu.Lock()
	defer otherUserExe.mu.Unlock()
	if otherUserExe.path != "" {
		return otherUserExe.path, nil
	}
	dir, err := os.MkdirTemp("", "bindmatrix-child-")
	if err == nil {
		err = os.Chmod(dir, 0o755)
	}
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, filepath.Base(exe))
	if err := copyExecutable(exe, path); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	otherUserExe.path = path
	return path, nil
}

// removeOtherUserExe removes the copy, at the end of a run.
func removeOtherUserExe() {
	otherUserExe.mu.Lock()
	defer otherUserExe.mu.Unlock()
	if otherUserExe.path != "" {
		os.RemoveAll(filepath.Dir(otherUserExe.path))
		otherUserExe.path = ""
	}
}

func copyExecutable(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, data, 0o755)
}
