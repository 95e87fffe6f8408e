// Command bindmatrix runs the socket bind() matrix on this machine, compares
// what happened with the checked-in expected table for this platform, and
// renders the differences. It holds flags and exit codes only; the work is
// done by packages matrix, report, internal/runner and the internal ones.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/bindmatrix/bindmatrix/internal/audit"
	"github.com/bindmatrix/bindmatrix/internal/child"
	"github.com/bindmatrix/bindmatrix/internal/lane"
	"github.com/bindmatrix/bindmatrix/internal/reexec"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// Exit codes, distinct so that CI can tell a regression from a broken run.
const (
	exitAgree      = 0 // every compared cell matched the expected table
	exitDiffer     = 1 // at least one cell differs
	exitBadInput   = 2 // bad flags, a corrupt table or observation, or a run that could not start
	exitIncomplete = 3 // nothing differs, but some cells were unreached
)

const usage = `bindmatrix: the truth about bind() on this machine.

Usage:
  bindmatrix                  run the matrix here, compare with the expected table, print the verdict
  bindmatrix run [flags]      run the matrix and print the observation
  bindmatrix check [flags]    compare an observation (a file, or a fresh run) with the expected table
  bindmatrix accept [flags]   write an observation as this platform's expected table
  bindmatrix report [flags]   render an observation, or its comparison, as text, markdown, json or junit
  bindmatrix docs [flags]     regenerate docs/bind-table.md from the expected tables (and observations)
  bindmatrix audit [flags]    can another process take a live server's port, and does it restart?
  bindmatrix runtimes [flags] audit each runtime's reference server (runtimes/) for the runtime table

Run 'bindmatrix COMMAND -h' for a command's flags.

Exit codes:
  0  all compared cells agree with the expected table (or the command succeeded)
  1  differences found (audit: another process can take a socket's traffic, or the restart failed)
  2  bad input: unknown flag or value, corrupt table or observation (file:line named), or a run that could not start
  3  incomplete: no differences, but some cells were unreached (their state could not be set up or proven),
     or an audit could not try or prove something
`

// roles are what this binary does when it starts itself: hold sockets for
// another-process cells, or be the init of a QEMU lane's kernel.
var roles = []reexec.Role{child.Role, lane.GuestRole(run)}

func main() {
	reexec.Main(roles...)
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: tests call it directly.
func run(args []string, stdout, stderr io.Writer) int {
	cmd, rest := "", args
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, rest = args[0], args[1:]
	}
	var code int
	var err error
	switch cmd {
	case "", "run", "check", "accept":
		// These run the matrix here or in a lane; audit and runtimes stop
		// the servers they started on their own.
		defer stopOnInterrupt(stderr)()
	}
	switch cmd {
	case "":
		code, err = cmdVerdict(rest, stdout, stderr)
	case "run":
		code, err = cmdRun(rest, stdout, stderr)
	case "check":
		code, err = cmdCheck(rest, stdout, stderr)
	case "accept":
		code, err = cmdAccept(rest, stdout, stderr)
	case "report":
		code, err = cmdReport(rest, stdout, stderr)
	case "docs":
		code, err = cmdDocs(rest, stdout, stderr)
	case "audit":
		code, err = cmdAudit(rest, stdout, stderr)
	case "runtimes":
		code, err = cmdRuntimes(rest, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, usage)
		return exitAgree
	default:
		fmt.Fprintf(stderr, "bindmatrix: unknown command %q\n\n%s", cmd, usage)
		return exitBadInput
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitAgree
	}
	if err != nil {
		fmt.Fprintf(stderr, "bindmatrix: %v\n", err)
		var ie *matrix.InputError
		if errors.As(err, &ie) || errors.Is(err, errUsage) || errors.Is(err, audit.ErrBadInput) {
			return exitBadInput
		}
		if code == exitAgree {
			code = exitBadInput
		}
	}
	return code
}

// exitInterrupted is the exit code after SIGINT or SIGTERM: 128 + SIGINT,
// as shells report it.
const exitInterrupted = 130

// stopOnInterrupt makes SIGINT and SIGTERM stop what the command started
// before the process exits: the lanes' processes (Wine's process group,
// QEMU) and temporary files, and the copy of the binary another user's
// helpers run from. Helpers of this process exit on their own once their
// input closes. It returns the function that stops listening.
//
// The command may end first, its lane having returned "interrupted": stop
// then waits for the handler, so that the exit code is always 130 and the
// clean-up always done.
func stopOnInterrupt(stderr io.Writer) (stop func()) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	const (
		running = iota
		handling
		ended
	)
	var state atomic.Int32
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			if !state.CompareAndSwap(running, handling) {
				return // the command ended first
			}
			fmt.Fprintf(stderr, "\nbindmatrix: %v: stopping what this run started\n", s)
			lane.Interrupt()
			if !lane.Wait(15 * time.Second) {
				fmt.Fprintln(stderr, "bindmatrix: a lane did not stop within 15 s")
			}
			child.Cleanup()
			os.Exit(exitInterrupted)
		case <-done:
		}
	}()
	return func() {
		signal.Stop(sigs)
		if !state.CompareAndSwap(running, ended) {
			select {} // the handler is stopping the lanes; it exits 130
		}
		close(done)
	}
}

// errUsage marks an error in what was asked (flags that contradict each
// other, a filter that selects nothing), as opposed to bad input files.
var errUsage = errors.New("usage")

func usageErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}
