package runtimes

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bindmatrix/bindmatrix/internal/audit"
	"github.com/bindmatrix/bindmatrix/internal/host"
	"github.com/bindmatrix/bindmatrix/internal/lane"
	"github.com/bindmatrix/bindmatrix/internal/ports"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// Options say where and how the reference servers are audited.
type Options struct {
	Root  string        // the repository root
	Under string        // "" (here) or "wine"
	Wait  time.Duration // how long a server may take to listen
	Log   io.Writer     // the servers' and builds' output
	Today time.Time
	// Wine says how each server that go build does not make runs under
	// Wine, or why it does not (wine.txt).
	Wine map[string]WineWay
}

// Observe audits one reference server with -restart and delivery, and
// returns the audit with its provenance. A runtime that is not installed,
// or too old for the API, is no error: the audit says so, and has no
// sockets. Cancelling ctx stops the build or the audit under way, and
// returns ctx's cause.
func Observe(ctx context.Context, s Server, opt Options) (*matrix.Audit, error) {
	if opt.Log == nil {
		opt.Log = io.Discard
	}
	dir := filepath.Join(opt.Root, Dir, s.Dir)
	run := &matrix.RuntimeRun{Server: s.Name, Date: opt.Today.UTC().Format("2006-01-02")}
	missing := func(why string) *matrix.Audit {
		run.Missing = why
		a := &matrix.Audit{Schema: matrix.AuditSchema, Platform: host.Platform(), Sockets: []matrix.AuditSocket{}, Runtime: run,
			Note: "not audited: " + why}
		if l, ok := matrix.LaneNamed(opt.Under); ok {
			a.Platform = matrix.Platform{Name: l.Platform} // nothing ran under it to say more
		}
		a.Conclude()
		return a
	}
	npm := filepath.Join(opt.Root, NPMDir)
	if opt.Under != "" && !strings.HasPrefix(s.Build, "go build") {
		way, ok := opt.Wine[s.Name]
		switch {
		case !ok:
			return missing(fmt.Sprintf("not installed under %s: %s has no line for it", opt.Under, WineFile)), nil
		case way.Not != "":
			return missing(fmt.Sprintf("not installed under %s: %s", opt.Under, way.Not)), nil
		}
		// The server runs as the Windows build: its version is what that
		// build prints under Wine.
		s.Run, s.Build, s.Config = way.Run, "-", "-"
		npm = filepath.Join(opt.Root, NPMWindowsDir)
	}
	var version string
	var err error
	if opt.Under != "" && s.Build == "-" {
		version, err = windowsVersion(ctx, s, dir, npm, opt.Log)
	} else {
		version, err = runtimeVersion(ctx, s, dir, npm)
	}
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	if err != nil {
		return missing(err.Error()), nil
	}
	run.Version = version
	if v := versionOf(version); v == "" || !atLeast(v, s.Needs) {
		return missing(fmt.Sprintf("needs %s or later, and %q is older", s.Needs, version)), nil
	}

	work, err := os.MkdirTemp("", "bindmatrix-runtime-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	out, files := filepath.Join(work, "out"), filepath.Join(work, "files")
	for _, d := range []string{out, files} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return nil, err
		}
	}
	port, err := ports.Probe(matrix.TCP, 0)
	if err != nil {
		return nil, err
	}
	exe := ""
	if opt.Under == "wine" {
		exe = ".exe"
	}
	values := map[string]string{"port": strconv.Itoa(int(port)), "out": out, "dir": files, "exe": exe,
		"config": filepath.Join(files, "server.conf"), "npm": npm, "npmwin": npm, "src": dir}
	if s.Build != "-" {
		if err := build(ctx, s, dir, fill(s.Build, values), work, opt); err != nil {
			return nil, err
		}
	}
	if s.Config != "-" {
		tmpl, err := os.ReadFile(filepath.Join(dir, s.Config))
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(values["config"], []byte(fill(string(tmpl), values)), 0o644); err != nil {
			return nil, err
		}
	}
	args := strings.Fields(fill(s.Run, values))
	if opt.Under == "" {
		args[0] = fromNPM(args[0], npm)
	}
	var a *matrix.Audit
	if opt.Under == "wine" {
		for i, arg := range args {
			if filepath.IsAbs(arg) { // a file of this host, as the Windows program sees it
				args[i] = lane.WindowsPath(arg)
			}
		}
		// -deliver, given: under Wine a server's sockets are a guess (its
		// iphlpapi names no owners), which gets test traffic only when asked.
		a, err = lane.Audit(ctx, lane.Config{Under: "wine", Log: opt.Log}, append([]string{"-restart", "-deliver", "-wait", opt.Wait.String(), "--"}, args...))
		if err == nil {
			err = onlyPort(a, port)
		}
	} else {
		a, err = auditHere(ctx, args, dir, opt)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Name, err)
	}
	a.Runtime = run
	return a, nil
}

// auditHere audits a server started here with -restart and delivery. Run
// as root, the attempts are made as nobody too, and, where a socket's
// owner is another user (a daemon that made its sockets after changing
// user), the audit is made again with that user added (and daemon, where
// nobody owns one): who can take a port (any user, its owner, root only)
// shows in whose attempts took it.
func auditHere(ctx context.Context, args []string, dir string, opt Options) (*matrix.Audit, error) {
	req := audit.Request{Command: args, Dir: dir, Wait: opt.Wait, Restart: true,
		Options: audit.Options{Deliver: true}, Log: opt.Log}
	if os.Geteuid() == 0 {
		req.As = []string{"nobody"}
	}
	a, err := audit.Run(ctx, req)
	if err != nil || len(req.As) == 0 {
		return a, err
	}
	owners := otherOwners(a, req.As)
	if slices.ContainsFunc(a.Sockets, func(s matrix.AuditSocket) bool { return s.User == "nobody" }) {
		// A socket of nobody's (memcached -u nobody) needs another
		// unprivileged user to show whether any user can take it.
		owners = append(owners, "daemon")
	}
	if len(owners) == 0 {
		return a, nil
	}
	req.As = append(owners, req.As...)
	return audit.Run(ctx, req)
}

// otherOwners are the users owning an audited socket who are neither root
// (the auditor) nor among as, and whom no attempt on it ran as (the audit
// tries a socket's owner itself where it can).
func otherOwners(a *matrix.Audit, as []string) []string {
	var out []string
	for _, s := range a.Sockets {
		tried := slices.ContainsFunc(s.Attempts, func(at matrix.Attempt) bool { return at.User == s.User })
		if s.User != "" && s.User != "root" && !tried && !slices.Contains(as, s.User) && !slices.Contains(out, s.User) {
			out = append(out, s.User)
		}
	}
	return out
}

// onlyPort refuses an audit under Wine that took sockets on other ports
// for the server's: Wine names no owners, so sockets another program
// opened meanwhile were taken for the server's (seen here while other
// daemons started and stopped), and the audit is not the server's alone.
func onlyPort(a *matrix.Audit, port uint16) error {
	var others []string
	for _, s := range a.Sockets {
		if s.Address.Port() != port {
			others = append(others, s.Proto.String()+" "+s.Address.String())
		}
	}
	if len(others) > 0 {
		return fmt.Errorf("not kept: sockets of other programs appeared during the audit under Wine (%s), and Wine names no owners; run it again while nothing else starts servers", strings.Join(others, ", "))
	}
	return nil
}

// fromNPM is the program a bare command name (node) names: the one
// runtimes/npm's lockfile installed (its node_modules/.bin), where npm ci
// has run, else whatever PATH finds, as on a runner that ships its own.
func fromNPM(name, npm string) string {
	if strings.ContainsAny(name, `/\`) {
		return name
	}
	p := filepath.Join(npm, ".bin", name)
	if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
		return p
	}
	return name
}

// windowsVersion runs a Windows build's --version under Wine, in the
// lane's prefix; a build that is not there is "not installed".
func windowsVersion(ctx context.Context, s Server, dir, npmwin string, log io.Writer) (string, error) {
	first, _, _ := strings.Cut(s.Run, " ")
	exe := fill(first, map[string]string{"npmwin": npmwin})
	if _, err := os.Stat(exe); err != nil {
		return "", fmt.Errorf("not installed: %s not found (npm ci --os=win32 --cpu=x64 in %s installs it)", first, filepath.Dir(NPMWindowsDir))
	}
	stdout, stderr, code, err := lane.RunProgram(ctx, log, dir, exe, "--version")
	if err != nil {
		return "", err
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(stdout)), "\n")
	if code != 0 || line == "" {
		last, _, _ := strings.Cut(strings.TrimSpace(stderr), "\n")
		return "", fmt.Errorf("not runnable under Wine: %s --version exited with %d: %s", first, code, last)
	}
	return strings.TrimSpace(line), nil
}

// runtimeVersion runs the version command; a command that is not there is
// "not installed".
func runtimeVersion(ctx context.Context, s Server, dir, npm string) (string, error) {
	words := strings.Fields(fill(s.Version, map[string]string{"npm": npm}))
	words[0] = fromNPM(words[0], npm)
	if _, err := exec.LookPath(words[0]); err != nil {
		first, _, _ := strings.Cut(s.Version, " ")
		if strings.Contains(first, "{npm}") {
			return "", fmt.Errorf("not installed: %s not found (npm ci in %s installs it)", first, filepath.Dir(NPMDir))
		}
		return "", fmt.Errorf("not installed: %s not found", words[0])
	}
	cmd := lane.GroupCommand(ctx, words[0], words[1:]...)
	cmd.Dir = dir
	text, err := cmd.CombinedOutput() // java -version writes to stderr
	line, _, _ := strings.Cut(strings.TrimSpace(string(text)), "\n")
	if ctx.Err() != nil {
		return "", context.Cause(ctx)
	}
	if err != nil {
		return "", fmt.Errorf("not installed: %s: %v %s", s.Version, err, line)
	}
	return strings.TrimSpace(line), nil
}

// build runs a server's build line in its directory; a Go build under
// Wine targets Windows. Cancelling ctx interrupts it (lane.GroupCommand).
// Its temporary files go under tmp, which the caller removes: a build an
// interrupt killed leaves them behind.
func build(ctx context.Context, s Server, dir, line, tmp string, opt Options) error {
	words := strings.Fields(line)
	cmd := lane.GroupCommand(ctx, words[0], words[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp, "GOTMPDIR="+tmp)
	if opt.Under == "wine" {
		l, _ := matrix.LaneNamed(opt.Under)
		cmd.Env = append(cmd.Env, "GOOS="+l.GOOS(), "GOARCH="+l.GOARCH, "CGO_ENABLED=0")
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	if err != nil {
		return fmt.Errorf("%s: building with %q: %v\n%s", s.Name, line, err, out.String())
	}
	return nil
}

// File is where the audit of server s on platform is kept.
func File(root, platform, server string) string {
	return filepath.Join(root, ObservedDir, platform, server+".json")
}

// ErrNoObservation says a server has not been audited on a platform yet.
var ErrNoObservation = errors.New("not yet observed")
