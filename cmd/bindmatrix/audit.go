package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/bindmatrix/bindmatrix/internal/audit"
	"github.com/bindmatrix/bindmatrix/internal/lane"
	"github.com/bindmatrix/bindmatrix/matrix"
	"github.com/bindmatrix/bindmatrix/report"
)

// users collects a repeatable -as.
type users []string

func (u *users) String() string     { return strings.Join(*u, ",") }
func (u *users) Set(v string) error { *u = append(*u, v); return nil }

func cmdAudit(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlags("audit", "Audit a live server: can another process take its port, and does it come back after a restart?\n\n"+
		"  bindmatrix audit -port P [-proto tcp|udp]     every socket on this machine on that port\n"+
		"  bindmatrix audit -pid N                        every listening TCP and bound UDP socket of process N\n"+
		"  bindmatrix audit [-restart] -- CMD ARGS...     start CMD, audit what it opens, stop it", stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: bindmatrix audit [flags] (-port P | -pid N | -- CMD ARGS...)\n\n"+
			"Audit a live server: can another process take its port, and does it come back after a restart?\n\nFlags:\n")
		fs.PrintDefaults()
		fmt.Fprintf(stderr, "\nExit codes: 0 every socket exclusive (and the restart worked), 1 a takeover succeeded or the restart failed,\n"+
			"2 bad input, 3 incomplete (nothing listened within -wait, an attempt or proof could not be made).\n")
	}
	port := fs.Int("port", 0, "audit every socket on `PORT`")
	proto := fs.String("proto", "tcp", "with -port: `PROTO` tcp (listening sockets) or udp (bound sockets)")
	pid := fs.Int("pid", 0, "audit every listening TCP and bound UDP socket of process `N`")
	wait := fs.Duration("wait", 10*time.Second, "with a command: how long it may take to listen")
	restart := fs.Bool("restart", false, "with a command: stop it while connections are open and check that it starts again while they sit in TIME_WAIT")
	deliverTraffic := fs.Bool("deliver", false, "confirm each successful takeover with test connections or datagrams to the socket (default: on with a command, off for -port and -pid, where it would send traffic to a server someone else runs, and for a socket only guessed to be the command's, under Wine; given, it reaches those too)")
	count := fs.Int("count", audit.DefaultDeliverCount, "with -deliver: how many connections or datagrams to send")
	var as users
	fs.Var(&as, "as", "also make the attempts as `USER` (root only; not on Windows); repeat for more")
	under := fs.String("under", "", "run the audit, and the command, under `wine`: a command that is a file of this host is passed as Z:\\...")
	asJSON := fs.Bool("json", false, "print the audit document (JSON, schema 1); the same as -format json")
	format := fs.String("format", "text", "render the audit as `FORMAT`: "+strings.Join(report.Formats, ", "))

	all := args
	var command []string
	if i := indexOf(args, "--"); i >= 0 {
		args, command = args[:i], args[i+1:]
		if len(command) == 0 {
			return exitBadInput, usageErrorf("nothing after --: give the command that starts the server")
		}
	}
	if err := parse(fs, args); err != nil {
		return exitBadInput, err
	}
	if *asJSON {
		*format = "json"
	}
	r, err := report.New(*format)
	if err != nil {
		return exitBadInput, usageErrorf("-format: %v", err)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *port < 0 || *port > 65535 || set["port"] && *port == 0 {
		return exitBadInput, usageErrorf("-port %d: a port is 1 to 65535", *port)
	}
	if *wait <= 0 {
		return exitBadInput, usageErrorf("-wait %v: give how long the command may take to listen, more than 0", *wait)
	}
	if *under != "" && *under != "wine" {
		return exitBadInput, usageErrorf("-under %s: an audit runs under wine only (the server audited must run where the audit does)", *under)
	}
	p, err := matrix.ParseProto(*proto)
	if err != nil {
		return exitBadInput, usageErrorf("-proto: %v", err)
	}
	if *under != "" {
		return auditUnder(ctx, *under, all, r, stdout, stderr)
	}
	deliverSet := set["deliver"]
	if !deliverSet {
		*deliverTraffic = len(command) > 0
	}
	a, err := audit.Run(ctx, audit.Request{
		Port: uint16(*port), Proto: p, PID: *pid, Command: command, Wait: *wait, Restart: *restart, Log: stderr,
		Options: audit.Options{Deliver: *deliverTraffic, DeliverToGuessed: deliverSet && *deliverTraffic, DeliverCount: *count, As: as},
	})
	switch {
	case errors.Is(err, audit.ErrBadInput):
		return exitBadInput, err
	case err != nil:
		return exitIncomplete, err
	}
	return auditExit(r, a, stdout)
}

// auditUnder runs the audit in a lane: the same flags, less -under, and a
// command that is a file of this host named as the lane sees it.
func auditUnder(ctx context.Context, under string, args []string, r report.Renderer, stdout, stderr io.Writer) (int, error) {
	var inner []string
	afterDashes := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case afterDashes && isFile(a):
			a = lane.WindowsPath(a)
		case a == "--":
			afterDashes = true
		case a == "-under" || a == "--under":
			i++
			continue
		case strings.HasPrefix(a, "-under=") || strings.HasPrefix(a, "--under="):
			continue
		case a == "-json" || a == "--json" || strings.HasPrefix(a, "-format") || strings.HasPrefix(a, "--format"):
			if !strings.Contains(a, "=") && strings.Contains(a, "format") {
				i++
			}
			continue // the lane prints JSON; the rendering happens here
		}
		inner = append(inner, a)
	}
	a, err := lane.Audit(ctx, lane.Config{Under: under, Log: stderr}, inner)
	if err != nil {
		return exitIncomplete, err
	}
	return auditExit(r, a, stdout)
}

func isFile(name string) bool {
	st, err := os.Stat(name)
	return err == nil && st.Mode().IsRegular()
}

// auditExit renders the audit and says the exit code of its verdict.
func auditExit(r report.Renderer, a *matrix.Audit, stdout io.Writer) (int, error) {
	if err := r.Audit(stdout, a); err != nil {
		return exitBadInput, err
	}
	switch a.Verdict {
	case matrix.AuditHijackable, matrix.AuditRestartFailed:
		return exitDiffer, nil
	case matrix.AuditIncomplete:
		return exitIncomplete, nil
	}
	return exitAgree, nil
}

func indexOf(args []string, s string) int {
	for i, a := range args {
		if a == s {
			return i
		}
	}
	return -1
}
