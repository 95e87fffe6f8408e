package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/bindmatrix/bindmatrix/internal/ports"
	"github.com/bindmatrix/bindmatrix/internal/testenv"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// Debian's daemons, audited as docs/audit.md says, with the configurations
// in internal/audit/testdata/daemons (their port and directory filled in
// here). Each once tripped the audit: sshd writes first and its
// per-connection children call setsid (the restart check took 126 s and
// came out unreached); nginx without "daemon off" daemonizes ("exited
// before it listened", and it kept listening); Apache's default
// AcceptFilter is TCP_DEFER_ACCEPT (restart unreached in 8 s; with
// ListenCoresBucketsRatio 1 and -deliver, 12.5 s); squid waits
// shutdown_lifetime on SIGTERM (0 here).

// Bounds from issue 21: an audit of one of these daemons takes at most 3 s
// here, its restart check at most 60 s (measured at 0.3 to 3.4 s). The
// tests log each time beside its bound and never fail on it: tests do not
// depend on timing, and a loaded machine (load average 200 here once)
// took 7.6 s. docs/performance.md records the measurements.
const (
	auditBound   = 3 * time.Second
	restartBound = 60 * time.Second
)

// daemon is a daemon's configuration made for one test.
type daemon struct {
	dir, conf string
	port      int
}

// daemonConfig fills in testdata/daemons/NAME.conf for a free loopback
// port, in a directory of its own the daemon's user may write to.
func daemonConfig(t *testing.T, name string, extra map[string]string) daemon {
	t.Helper()
	template, err := os.ReadFile(filepath.Join("..", "..", "internal", "audit", "testdata", "daemons", name+".conf"))
	if err != nil {
		t.Fatal(err)
	}
	dir := testenv.TempDir(t)
	if err := os.Chmod(dir, 0o777); err != nil { // the daemon's user writes its logs there
		t.Fatal(err)
	}
	p, err := ports.Probe(matrix.TCP, 0)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"DIR": dir, "PORT": strconv.Itoa(int(p)), "USER": "nobody", "GROUP": "nogroup", "EXTRA": ""}
	for k, v := range extra {
		vars[k] = v
	}
	conf := filepath.Join(dir, name+".conf")
	if err := os.WriteFile(conf, []byte(os.Expand(string(template), func(k string) string { return vars[k] })), 0o644); err != nil {
		t.Fatal(err)
	}
	return daemon{dir: dir, conf: conf, port: int(p)}
}

// needDaemon skips, saying why, where the program is missing or the
// daemon needs root.
func needDaemon(t *testing.T, program, pkg string) string {
	t.Helper()
	testenv.SkipIfShort(t, "audits a real daemon ("+program+")")
	path, err := exec.LookPath(program)
	if err != nil {
		for _, dir := range []string{"/usr/sbin", "/sbin"} {
			if _, serr := os.Stat(filepath.Join(dir, program)); serr == nil {
				path, err = filepath.Join(dir, program), nil
			}
		}
	}
	testenv.Need(t, err == nil, program, "apt-get install "+pkg)
	testenv.Need(t, os.Geteuid() == 0, "root ("+program+" switches to its own user)", "run the tests as root")
	return path
}

// auditTimed runs bindmatrix with args, and says how long it took.
func auditTimed(t *testing.T, args ...string) (result, time.Duration) {
	t.Helper()
	cmd := exec.Command(binaryPath(t), args...)
	cmd.Dir = testenv.TempDir(t)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("bindmatrix %v: %v", args, err)
	}
	t.Logf("bindmatrix %v: exit %d in %v", args, cmd.ProcessState.ExitCode(), took.Round(time.Millisecond))
	return result{cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()}, took
}

// expect fails the test for each pattern the output lacks.
func expect(t *testing.T, r result, code int, patterns ...string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit %d, want %d", r.code, code)
	}
	for _, p := range patterns {
		if !regexp.MustCompile(p).MatchString(r.stdout) {
			t.Errorf("the report lacks %q", p)
		}
	}
	if t.Failed() {
		t.Fatalf("stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	}
}

// within logs how long a step took beside its bound.
func within(t *testing.T, what string, took, bound time.Duration) {
	t.Helper()
	over := ""
	if took > bound {
		over = ": over it, on a machine this loaded"
	}
	t.Logf("%s took %v (bound %v%s)", what, took.Round(time.Millisecond), bound, over)
}

// nothingListens fails the test if anything still listens on the port:
// the daemon outlived its audit.
func nothingListens(t *testing.T, port int) {
	t.Helper()
	if c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))); err == nil {
		c.Close()
		t.Errorf("something still listens on 127.0.0.1:%d after the audit", port)
	}
}

// exclusiveAndRestarts audits the daemon's command twice, as docs/audit.md
// says: without and with -restart. Its one listener is exclusive (twelve
// binds refused), and it restarts while three TIME_WAIT entries hold its
// port.
func exclusiveAndRestarts(t *testing.T, d daemon, name string, command ...string) {
	t.Helper()
	listener := fmt.Sprintf(`tcp 127\.0\.0\.1:%d \(ipv4\), %s \(pid \d+\), user root: EXCLUSIVE\n(?:  [^\n]*\n)*?  refused: 12 attempts: 12 bind:EADDRINUSE`, d.port, name)
	r, took := auditTimed(t, append([]string{"audit", "--"}, command...)...)
	expect(t, r, 0, listener, `VERDICT: EXCLUSIVE`)
	within(t, "the audit", took, auditBound)
	nothingListens(t, d.port)
	r, took = auditTimed(t, append([]string{"audit", "-restart", "--"}, command...)...)
	expect(t, r, 0, listener, `restart: ok with 3 TIME_WAIT entries on the port`, `VERDICT: EXCLUSIVE`)
	within(t, "the audit with its restart check", took, restartBound)
	nothingListens(t, d.port)
}

// TestAuditOfSSHD: sshd writes its banner first, and each connection's
// child calls setsid: the restart check reads the banner before closing,
// and stops the children wherever they went.
func TestAuditOfSSHD(t *testing.T) {
	sshd := needDaemon(t, "sshd", "openssh-server")
	_, err := os.Stat("/run/sshd")
	testenv.Need(t, err == nil, "/run/sshd (sshd's privilege separation directory)", "mkdir -p /run/sshd")
	keygen, err := exec.LookPath("ssh-keygen")
	testenv.Need(t, err == nil, "ssh-keygen", "apt-get install openssh-client")
	d := daemonConfig(t, "sshd", nil)
	if out, err := exec.Command(keygen, "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(d.dir, "ssh_host_ed25519_key")).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	exclusiveAndRestarts(t, d, "sshd", sshd, "-D", "-e", "-f", d.conf)
}

// TestAuditOfADaemonizingNginx: nginx without "daemon off" forks and its
// command exits: the daemon is audited, restarted and stopped.
func TestAuditOfADaemonizingNginx(t *testing.T) {
	nginx := needDaemon(t, "nginx", "nginx-light")
	d := daemonConfig(t, "nginx", nil)
	exclusiveAndRestarts(t, d, "nginx", nginx, "-c", d.conf)
}

// TestAuditOfApache: Apache's default AcceptFilter is TCP_DEFER_ACCEPT,
// which keeps silent connections unaccepted: the restart check sends a
// byte where the server waits for data. With ListenCoresBucketsRatio 1 it
// opens SO_REUSEPORT listeners: hijackable, and the delivery checks are
// each proven without waiting out their patience.
func TestAuditOfApache(t *testing.T) {
	apache := needDaemon(t, "apache2", "apache2")
	d := daemonConfig(t, "apache2", nil)
	exclusiveAndRestarts(t, d, "apache2", apache, "-DFOREGROUND", "-f", d.conf)

	d = daemonConfig(t, "apache2", map[string]string{"EXTRA": "ListenCoresBucketsRatio 1"})
	r, took := auditTimed(t, "audit", "-deliver", "--", apache, "-DFOREGROUND", "-f", d.conf)
	expect(t, r, 1,
		fmt.Sprintf(`tcp 127\.0\.0\.1:%d \(ipv4\), apache2 \(pid \d+\), user root: HIJACKABLE`, d.port),
		fmt.Sprintf(`127\.0\.0\.1:%d ipv4 SO_REUSEPORT as same: ok, received [1-9]\d* of \d+ sent`, d.port),
		`fix: apache2.*remove the ListenCoresBucketsRatio directive`, `VERDICT: HIJACKABLE`)
	within(t, "the audit", took, auditBound)
	nothingListens(t, d.port)
}

// TestAuditOfSquid: squid's HTTP port is exclusive, and it restarts; the
// stop ends as soon as squid does (shutdown_lifetime 0).
func TestAuditOfSquid(t *testing.T) {
	squid := needDaemon(t, "squid", "squid")
	d := daemonConfig(t, "squid", nil)
	listener := fmt.Sprintf(`tcp 127\.0\.0\.1:%d \(ipv4\), squid \(pid \d+\), user root: EXCLUSIVE\n(?:  [^\n]*\n)*?  refused: 12 attempts: 12 bind:EADDRINUSE`, d.port)
	r, took := auditTimed(t, "audit", "--", squid, "-N", "-f", d.conf)
	expect(t, r, 0, listener, `VERDICT: EXCLUSIVE`)
	within(t, "the audit", took, auditBound)
	nothingListens(t, d.port)
	// Squid opens its DNS sockets on new ports at every start: the
	// restart counts its serving sockets only (issue 21 item 7).
	r, took = auditTimed(t, "audit", "-restart", "--", squid, "-N", "-f", d.conf)
	expect(t, r, 0, listener, `restart: ok with 3 TIME_WAIT entries on the port`, `VERDICT: EXCLUSIVE`)
	within(t, "the audit with its restart check", took, restartBound)
	nothingListens(t, d.port)
}
