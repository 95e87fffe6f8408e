// Command bindmatrix runs the socket bind() matrix on this machine, compares
// what happened with the checked-in expected table for this platform, and
// renders the differences. It holds flags and exit codes only; the work is
// done by packages matrix, report, internal/runner and the internal ones.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/bindmatrix/bindmatrix/internal/audit"
	"github.com/bindmatrix/bindmatrix/internal/child"
	"github.com/bindmatrix/bindmatrix/internal/lane"
	"github.com/bindmatrix/bindmatrix/internal/procs"
	"github.com/bindmatrix/bindmatrix/internal/reexec"
	"github.com/bindmatrix/bindmatrix/matrix"
	"github.com/bindmatrix/bindmatrix/report"
)

// Exit codes, distinct so that CI can tell a regression from a broken run.
const (
	exitAgree      = 0 // every compared cell matched the expected table
	exitDiffer     = 1 // at least one cell differs
	exitBadInput   = 2 // bad flags, a corrupt table or observation, or a run that could not start
	exitIncomplete = 3 // nothing differs, but some cells were unreached
	// After SIGINT or SIGTERM: 128 + the signal's number, as shells report
	// it (exitSignalled).
	exitInterrupted = 130 // SIGINT
	exitTerminated  = 143 // SIGTERM
)

const usage = `bindmatrix: the truth about bind() on this machine.

Usage:
  bindmatrix                  run the matrix here, compare with the expected table, print the verdict
  bindmatrix run [flags]      run the matrix and print the observation
  bindmatrix check [flags]    compare an observation (a file, or a fresh run here) with the expected table
  bindmatrix accept [flags]   write an observation as this platform's expected table
  bindmatrix report [flags]   render an observation, or its comparison, as text, markdown, json or junit
  bindmatrix docs [flags]     regenerate docs/bind-table.md from the expected tables (and observations)
  bindmatrix audit [flags]    can another process take a live server's port, and does it restart?
  bindmatrix runtimes [flags] audit each runtime's reference server (runtimes/) for the runtime table
  bindmatrix try [flags] 'ARRANGEMENT'
                              run sockets on one port ('tcp 0.0.0.0; tcp :: v6only; tcp 127.0.0.1'), compare with the model
  bindmatrix explore [flags]  look for arrangements where this kernel and the model of Linux bind() disagree

Run 'bindmatrix COMMAND -h' for a command's flags.

Exit codes:
  0  all compared cells agree with the expected table (or the command succeeded)
  1  differences found (audit: another process can take a socket's traffic, or the restart failed)
  2  bad input: unknown flag or value, corrupt table or observation (file:line named), or a run that could not start
  3  incomplete: no differences, but some cells were unreached (their state could not be set up or proven),
     or an audit could not try or prove something
  130  interrupted (SIGINT), any command: what it started (helpers, servers, Wine, QEMU) was stopped first
  143  terminated (SIGTERM), the same; a second SIGINT or SIGTERM ends bindmatrix at once, stopping nothing
`

// roles are what this binary does when it starts itself: hold sockets for
// another-process cells, or be the init of a QEMU lane's kernel. The
// guest's init runs without a signal watch: it powers the guest off,
// never exits (guest_linux.go).
var roles = []reexec.Role{child.Role, procs.Role, lane.GuestRole(func(args []string, stdout, stderr io.Writer) int {
	return run(context.Background(), args, stdout, stderr)
})}

func main() {
	reexec.Main(roles...)
	ctx, stop := interruptible(os.Stderr)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is main without the process: tests call it directly. ctx ends the
// command's work when it is cancelled with an interruption (interruptible);
// the exit code then says which signal it was.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	code := command(ctx, args, stdout, stderr)
	if sig, ok := signalled(ctx); ok {
		return exitSignalled(sig)
	}
	return code
}

func command(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd, rest := "", args
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, rest = args[0], args[1:]
	}
	var code int
	var err error
	switch cmd {
	case "":
		code, err = cmdVerdict(ctx, rest, stdout, stderr)
	case "run":
		code, err = cmdRun(ctx, rest, stdout, stderr)
	case "check":
		code, err = cmdCheck(ctx, rest, stdout, stderr)
	case "accept":
		code, err = cmdAccept(ctx, rest, stdout, stderr)
	case "report":
		code, err = cmdReport(ctx, rest, stdout, stderr)
	case "docs":
		code, err = cmdDocs(rest, stdout, stderr)
	case "audit":
		code, err = cmdAudit(ctx, rest, stdout, stderr)
	case "runtimes":
		code, err = cmdRuntimes(ctx, rest, stdout, stderr)
	case "try":
		code, err = cmdTry(ctx, rest, stdout, stderr)
	case "explore":
		code, err = cmdExplore(ctx, rest, stdout, stderr)
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
	if _, ok := signalled(ctx); ok {
		return code // run says the signal; the error is only its echo
	}
	if err != nil {
		fmt.Fprintf(stderr, "bindmatrix: %s\n", report.Clean(err.Error()))
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

// errUsage marks an error in what was asked (flags that contradict each
// other, a filter that selects nothing), as opposed to bad input files.
var errUsage = errors.New("usage")

func usageErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}
