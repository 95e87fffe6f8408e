//go:build !linux

package procs

import (
	"fmt"
	"os"
	"os/exec"

	"github.com/bindmatrix/bindmatrix/internal/reexec"
)

// Tracked says whether a group holds every process its command starts,
// wherever it goes, and can list them. Not here: a process that leaves the
// command's process group is not listed, though on Windows the job object
// kills it with the group.
const Tracked = false

// RoleName is the keeper's role, which only Linux plays.
const RoleName = "procs-keeper"

// Role is the keeper's role; here it is never started.
var Role = reexec.Role{Name: RoleName, Main: func() int {
	fmt.Fprintln(os.Stderr, "procs keeper: runs on Linux only")
	return 2
}}

// direct is a command started without a keeper, leading a process group
// of its own, and on Windows held in a job object.
type direct struct {
	cmd *exec.Cmd
	job job
}

var _ groupImpl = direct{}

func (d direct) root() int  { return d.cmd.Process.Pid }
func (d direct) terminate() { askToExit(d.cmd) }
func (d direct) kill()      { killGroup(d.cmd, d.job) }
func (d direct) release()   { d.job.release() }

func start(g *Group, spec Spec) (groupImpl, error) {
	cmd := exec.Command(spec.Args[0], spec.Args[1:]...)
	cmd.Dir = spec.Dir
	cmd.Stdout, cmd.Stderr = spec.Stdout, spec.Stderr
	ownProcessGroup(cmd)
	cmd.WaitDelay = OutputGrace
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrStart, err)
	}
	d := direct{cmd: cmd, job: track(cmd)}
	go func() {
		g.err = cmd.Wait()
		close(g.exited)
	}()
	return d, nil
}
