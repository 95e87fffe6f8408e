// Package procs starts a command and keeps track of every process it
// starts, wherever they go, so that they can be listed, asked to exit and
// killed, and none outlives the program that started them.
//
// A server's processes leave its process group and session (sshd's
// per-connection children call setsid; a daemon forks and its parent
// exits), and keep its output open: waiting for the command alone, or
// signalling its process group, misses them. On Linux the command runs
// under a keeper, this binary started again (Role), which is a child
// subreaper (prctl(2) PR_SET_CHILD_SUBREAPER): every process the command
// starts stays below the keeper however it detaches, the keeper reaps them
// all, signals each one through a pidfd, and kills them all when the
// program that started it goes away, even by SIGKILL. Elsewhere the
// command leads a process group (a console process group on Windows) of
// its own, and a process that leaves it is not listed: a stub, said so by
// Tracked; on Windows a job object holds them all, and kills what is left
// when the group is released or this process ends.
//
// It is not a process supervisor: nothing is restarted, and a group's
// processes are only ever signalled by it.
package procs

import (
	"errors"
	"io"
	"time"
)

// Spec says what to start.
type Spec struct {
	Args []string
	// Dir is the directory the command runs in; "" is the current one.
	Dir string
	// Stdout and Stderr receive the output of every process of the group.
	Stdout, Stderr io.Writer
}

// Group is a started command and every process it started.
type Group struct {
	exited chan struct{}
	err    error // how the command exited, once every process is gone
	impl   groupImpl
}

// groupImpl is what each OS family provides.
type groupImpl interface {
	// root is a process below which every process of the group is.
	root() int
	terminate()
	kill()
	// release lets go of the group once it is stopped: what is still
	// left of it is killed (the keeper's pipe, the job object closed).
	release()
}

// ErrStart says the command could not be started (not found, not
// executable): what the caller asked for was wrong.
var ErrStart = errors.New("the command could not be started")

// OutputGrace bounds how long the output of a group is read after its
// last process is gone (exec.Cmd.WaitDelay): a descendant that escaped
// tracking (possible only where Tracked is false) may hold it open.
const OutputGrace = 2 * time.Second

// Start starts the command in a group of its own.
func Start(spec Spec) (*Group, error) {
	if len(spec.Args) == 0 {
		return nil, errors.New("no command to start")
	}
	g := &Group{exited: make(chan struct{})}
	impl, err := start(g, spec)
	if err != nil {
		return nil, err
	}
	g.impl = impl
	return g, nil
}

// Root is a process ID below which every process of the group is found in
// the process tree (the keeper on Linux, the command elsewhere).
func (g *Group) Root() int { return g.impl.root() }

// Exited is closed once every process of the group is gone (or, where
// Tracked is false, once the command is).
func (g *Group) Exited() <-chan struct{} { return g.exited }

// Err is how the command itself exited ("exit status 1"), once Exited is
// closed; nil after a zero exit.
func (g *Group) Err() error { return g.err }

// Terminate asks every process of the group to exit: SIGTERM to each, to
// each that appears after, and to all again every 250 ms until they are
// gone (Linux); SIGTERM to its process group (other Unixes); CTRL_BREAK to
// its console process group (Windows).
func (g *Group) Terminate() { g.impl.terminate() }

// Kill kills every process of the group, and keeps killing until none is
// left (a process may fork meanwhile).
func (g *Group) Kill() { g.impl.kill() }

// Stop terminates the group, kills it after grace, and waits for it to be
// gone at most grace more: every wait is bounded. It says whether the
// group is gone.
func (g *Group) Stop(grace time.Duration) bool {
	defer g.impl.release()
	select {
	case <-g.exited:
		return true
	default:
	}
	g.Terminate()
	select {
	case <-g.exited:
		return true
	case <-time.After(grace):
	}
	g.Kill()
	select {
	case <-g.exited:
		return true
	case <-time.After(grace):
		return false
	}
}
