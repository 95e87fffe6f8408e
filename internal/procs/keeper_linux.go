package procs

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/bindmatrix/bindmatrix/internal/proctab"
	"github.com/bindmatrix/bindmatrix/internal/reexec"
)

// Tracked says whether a group holds every process its command starts,
// wherever it goes (Linux: the keeper is their child subreaper).
const Tracked = true

// RoleName is the keeper's role (reexec).
const RoleName = "procs-keeper"

// Role makes a binary able to keep a group: every binary that calls Start
// passes it to reexec.Main.
var Role = reexec.Role{Name: RoleName, Main: keep}

// A binary that starts commands through a package that imports this one
// may not list Role (a test binary of internal/runtimes, which calls the
// audit): started as a keeper it would run its own work again instead,
// its tests each starting servers of their own. The keeper takes over
// here, before any of the binary's own code runs.
func init() {
	if os.Getenv(reexec.Env) == RoleName {
		os.Exit(keep())
	}
}

// keptRoleEnv carries the role the command itself is to play, if the
// starter's environment named one (a test binary that is its own server):
// the keeper's own role would otherwise replace it.
const keptRoleEnv = "BINDMATRIX_KEPT_ROLE"

// startPatience bounds the wait for the keeper to say it started the
// command: it is this binary, started again, and answers in milliseconds.
const startPatience = 10 * time.Second

// keeper is the starter's handle on a keeper process.
type keeper struct {
	cmd     *exec.Cmd
	control *os.File // 'T' asks the keeper to terminate the group, 'K' to kill it
	mu      sync.Mutex
}

var _ groupImpl = (*keeper)(nil)

func (k *keeper) root() int { return k.cmd.Process.Pid }

func (k *keeper) send(b byte) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.control.Write([]byte{b}) // fails once the keeper is gone: nothing left to signal
}

func (k *keeper) terminate() { k.send('T') }
func (k *keeper) kill()      { k.send('K') }

// release closes the control pipe: the keeper kills what is left, if
// anything, and exits.
func (k *keeper) release() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.control.Close()
}

func start(g *Group, spec Spec) (groupImpl, error) {
	exe, err := reexec.Self()
	if err != nil {
		return nil, err
	}
	controlR, controlW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	statusR, statusW, err := os.Pipe()
	if err != nil {
		controlR.Close()
		controlW.Close()
		return nil, err
	}
	cmd := reexec.Command(exe, RoleName, spec.Args...)
	if role, ok := os.LookupEnv(reexec.Env); ok {
		cmd.Env = append(cmd.Env, keptRoleEnv+"="+role)
	}
	cmd.Dir = spec.Dir
	cmd.Stdout, cmd.Stderr = spec.Stdout, spec.Stderr
	cmd.ExtraFiles = []*os.File{controlR, statusW}
	// A group of its own: a terminal's ^C reaches the starter, which
	// stops the group, not the keeper.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = OutputGrace
	err = cmd.Start()
	controlR.Close()
	statusW.Close()
	if err != nil {
		controlW.Close()
		statusR.Close()
		return nil, fmt.Errorf("starting the keeper of %s: %w", spec.Args[0], err)
	}
	k := &keeper{cmd: cmd, control: controlW}
	status := bufio.NewReader(statusR)
	statusR.SetReadDeadline(time.Now().Add(startPatience))
	first, err := status.ReadString('\n')
	statusR.SetReadDeadline(time.Time{})
	verb, rest, _ := strings.Cut(strings.TrimSpace(first), " ")
	if err != nil || verb != "started" {
		controlW.Close() // the keeper kills what it started, if anything
		cmd.Wait()
		statusR.Close()
		switch {
		case verb == "error":
			return nil, fmt.Errorf("%w: %s", ErrStart, rest)
		case err != nil:
			return nil, fmt.Errorf("the keeper of %s did not start it: %v (%v)", spec.Args[0], err, cmd.ProcessState)
		}
		return nil, fmt.Errorf("the keeper of %s said %q", spec.Args[0], first)
	}
	go func() {
		var exit string
		for {
			line, err := status.ReadString('\n')
			if v, r, _ := strings.Cut(strings.TrimSpace(line), " "); v == "exit" {
				exit = r
			}
			if err != nil {
				break
			}
		}
		werr := cmd.Wait()
		statusR.Close()
		k.mu.Lock()
		controlW.Close()
		k.mu.Unlock()
		switch {
		case exit != "":
			g.err = errors.New(exit)
		case werr != nil && !errors.Is(werr, exec.ErrWaitDelay):
			g.err = fmt.Errorf("its keeper ended: %v", werr)
		}
		close(g.exited)
	}()
	return k, nil
}

// keep is the keeper: it starts the command given as its arguments,
// reaps every process below it, and signals them all when asked on its
// control pipe (descriptor 3), or kills them all once the pipe is closed
// (the starter is gone, however it went). It says on its status pipe
// (descriptor 4) "started PID" or "error WHY", then "exit STATUS" once no
// process is left, and exits.
func keep() int {
	control, status := os.NewFile(3, "control"), os.NewFile(4, "status")
	if control == nil || status == nil {
		fmt.Fprintln(os.Stderr, "procs keeper: started without its pipes")
		return 2
	}
	syscall.CloseOnExec(3)
	syscall.CloseOnExec(4)
	// Signals are the starter's to handle: a ^C or SIGTERM sent to us
	// by mistake must not orphan the group. Caught, not ignored: an
	// ignored signal stays ignored in the command after exec.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fmt.Fprintf(status, "error making the keeper a child subreaper: %v\n", err)
		return 2
	}
	if len(os.Args) < 2 {
		fmt.Fprintln(status, "error no command given")
		return 2
	}
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.Env = commandEnv(os.Environ())
	// The command leads a process group the audit created, as it did
	// before there was a keeper.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(status, "error %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
		return 127
	}
	root := cmd.Process.Pid
	fmt.Fprintf(status, "started %d\n", root)
	go obey(control)
	exit := ""
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, 0, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil { // ECHILD: nothing is left below the keeper
			break
		}
		if pid == root {
			exit = describe(ws)
		}
	}
	fmt.Fprintf(status, "exit %s\n", exit)
	return 0
}

// commandEnv is the keeper's environment as the command is to see it:
// without the keeper's role, with the role the starter's environment
// named, if any.
func commandEnv(env []string) []string {
	var out []string
	kept := ""
	for _, kv := range env {
		switch {
		case strings.HasPrefix(kv, keptRoleEnv+"="):
			kept = strings.TrimPrefix(kv, keptRoleEnv+"=")
		case strings.HasPrefix(kv, reexec.Env+"="):
		default:
			out = append(out, kv)
		}
	}
	if kept != "" {
		out = append(out, reexec.Env+"="+kept)
	}
	return out
}

// describe spells a wait status as os.ProcessState does; "" for a zero
// exit.
func describe(ws unix.WaitStatus) string {
	switch {
	case ws.Exited() && ws.ExitStatus() == 0:
		return ""
	case ws.Exited():
		return "exit status " + strconv.Itoa(ws.ExitStatus())
	case ws.Signaled():
		return "signal: " + ws.Signal().String()
	}
	return fmt.Sprintf("wait status %#x", uint32(ws))
}

// obey carries out the starter's requests; once the starter is gone it
// kills the group, again and again until the keeper exits.
func obey(control *os.File) {
	b := make([]byte, 1)
	for {
		n, err := control.Read(b)
		if err != nil {
			killForever()
		}
		if n == 0 {
			continue
		}
		switch b[0] {
		case 'T':
			go terminateForever()
		case 'K':
			go killForever()
		}
	}
}

// terminateForever asks every process below the keeper to exit, each
// that appears later too, and all of them again every askAgain, until the
// keeper exits: a server may fork as it is asked, and a child between fork
// and exec still runs its parent's handler, which the exec then forgets
// (sshd's per-connection children, seen here: they outlived one SIGTERM
// each time one was accepted meanwhile).
func terminateForever() {
	asked := map[int]bool{}
	for last := time.Now(); ; time.Sleep(10 * time.Millisecond) {
		if time.Since(last) >= askAgain {
			asked, last = map[int]bool{}, time.Now()
		}
		for _, pid := range signalAll(unix.SIGTERM, asked) {
			asked[pid] = true
		}
	}
}

// askAgain is how often terminateForever repeats itself.
const askAgain = 250 * time.Millisecond

// killForever kills every process below the keeper until the keeper
// exits, which it does once none is left: a process may fork between two
// rounds.
func killForever() {
	for {
		signalAll(unix.SIGKILL, nil)
		time.Sleep(10 * time.Millisecond)
	}
}

// signalAll sends sig to every process below this one but those skipped,
// and returns those it signalled. Each is signalled through a pidfd opened
// while it was still below, so that a PID reused meanwhile by another
// process is never signalled.
func signalAll(sig unix.Signal, skip map[int]bool) []int {
	self := os.Getpid()
	var signalled []int
	for _, pid := range below(self) {
		if skip[pid] {
			continue
		}
		fd, err := unix.PidfdOpen(pid, 0)
		if err == unix.ENOSYS { // before Linux 5.3: our own unreaped ones cannot be reused
			if unix.Kill(pid, sig) == nil {
				signalled = append(signalled, pid)
			}
			continue
		}
		if err != nil {
			continue // gone
		}
		if stillBelow(pid, self) && unix.PidfdSendSignal(fd, sig, nil, 0) == nil {
			signalled = append(signalled, pid)
		}
		unix.Close(fd)
	}
	return signalled
}

// below lists the processes below root in the process tree (/proc).
func below(root int) []int {
	parents := proctab.Parents()
	var out []int
	for pid := range parents {
		if pid != root && isBelow(pid, root, parents) {
			out = append(out, pid)
		}
	}
	return out
}

// stillBelow re-reads the tree for pid: after its pidfd was opened, it
// names the process below root or nothing.
func stillBelow(pid, root int) bool { return isBelow(pid, root, proctab.Parents()) }

func isBelow(pid, root int, parents map[int]int) bool {
	for range len(parents) + 1 {
		p, ok := parents[pid]
		if !ok || p == 0 {
			return false
		}
		if p == root {
			return true
		}
		pid = p
	}
	return false
}
