package audit

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/bindmatrix/bindmatrix/internal/ports"
	"github.com/bindmatrix/bindmatrix/internal/testenv"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// TestProgramFixesHoldOnThePrograms audits the programs programs.txt names
// with their setting off and on: off, the socket is hijackable and the fix
// names the setting; on, the takeover it stops is gone. What the file says
// is checked against the real program, not only parsed.
func TestProgramFixesHoldOnThePrograms(t *testing.T) {
	testenv.SkipIfShort(t, "audits real daemons (haproxy, gunicorn, unbound, apache2) twice each")
	for _, tc := range []struct {
		name    string
		program string
		proto   matrix.Proto
		// command writes what the program needs into dir and returns its
		// command line on port, with the setting on or off.
		command func(dir string, port uint16, setting bool) []string
		fix     string // in the fix with the setting off
		after   string // in the fix with it on ("" : exclusive)
	}{
		{"haproxy", "haproxy", matrix.TCP, func(dir string, port uint16, on bool) []string {
			global := "global\n"
			if on {
				global += "  noreuseport\n"
			}
			write(t, dir, "h.cfg", global+fmt.Sprintf("defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\nfrontend f\n  bind 127.0.0.1:%d\n  default_backend b\nbackend b\n  server s 127.0.0.1:9\n", port))
			return []string{"haproxy", "-db", "-f", filepath.Join(dir, "h.cfg")}
		}, "haproxy (SO_REUSEPORT): add noreuseport", ""},
		{"gunicorn", "gunicorn", matrix.TCP, func(dir string, port uint16, on bool) []string {
			write(t, dir, "app.py", "def app(e, s):\n    s('200 OK', [])\n    return [b'x']\n")
			args := []string{"gunicorn", "-w", "1", "--chdir", dir, "-b", fmt.Sprintf("127.0.0.1:%d", port), "app:app"}
			if !on {
				args = append(args, "--reuse-port")
			}
			return args
		}, "gunicorn (SO_REUSEPORT): start it without --reuse-port", ""},
		{"unbound", "unbound", matrix.UDP, func(dir string, port uint16, on bool) []string {
			reuse := "yes"
			if on {
				reuse = "no"
			}
			write(t, dir, "u.conf", fmt.Sprintf("server:\n  interface: 127.0.0.1@%d\n  port: %d\n  do-daemonize: no\n  chroot: \"\"\n  username: \"\"\n  directory: %q\n  pidfile: %q\n  use-syslog: no\n  num-threads: 2\n  do-tcp: no\n  so-reuseport: %s\nremote-control:\n  control-enable: no\n",
				port, port, dir, filepath.Join(dir, "u.pid"), reuse))
			return []string{"unbound", "-d", "-c", filepath.Join(dir, "u.conf")}
		}, "unbound (SO_REUSEPORT): set so-reuseport: no", "unbound (SO_REUSEADDR): nothing in unbound.conf(5) turns it off"},
		{"apache2", "apache2", matrix.TCP, func(dir string, port uint16, on bool) []string {
			conf := fmt.Sprintf("LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so\nLoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so\nServerName localhost\nServerRoot %s\nPidFile %s/httpd.pid\nErrorLog %s/error.log\nListen 127.0.0.1:%d\nUser www-data\nGroup www-data\n", dir, dir, dir, port)
			if !on {
				conf += "ListenCoresBucketsRatio 1\n"
			}
			write(t, dir, "a.conf", conf)
			return []string{"apache2", "-DFOREGROUND", "-f", filepath.Join(dir, "a.conf")}
		}, "apache2, httpd (SO_REUSEPORT): remove the ListenCoresBucketsRatio directive", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := exec.LookPath(tc.program)
			testenv.Need(t, err == nil, tc.program, "apt-get install "+tc.program+" (.ci/run setup does)")
			if tc.program == "apache2" && runtime.NumCPU() < 2 {
				t.Skip("skipped: ListenCoresBucketsRatio 1 makes one listener per CPU, and this machine has one")
			}
			for _, on := range []bool{false, true} {
				port, err := ports.Probe(tc.proto, 0)
				if err != nil {
					t.Fatal(err)
				}
				dir := testenv.TempDir(t)
				os.Chmod(dir, 0o755) // apache2's user reads it
				a, err := Run(context.Background(), Request{Command: tc.command(dir, port, on), Wait: 15 * time.Second, Options: Options{Deliver: true}})
				if err != nil {
					t.Fatal(err)
				}
				var fixes []string
				for _, s := range a.Sockets {
					if s.Address.Port() == port && s.Fix != "" {
						fixes = append(fixes, s.Fix)
					}
				}
				fix := strings.Join(fixes, "\n")
				switch {
				case !on && (a.Verdict != matrix.AuditHijackable || !strings.Contains(fix, tc.fix)):
					t.Errorf("setting off: %s, fix %q (note %q); want hijackable, naming %q", a.Verdict, fix, a.Note, tc.fix)
				case on && tc.after == "" && a.Verdict != matrix.AuditExclusive:
					t.Errorf("setting on: %s, fix %q (note %q); want exclusive", a.Verdict, fix, a.Note)
				case on && tc.after != "" && (!strings.Contains(fix, tc.after) || strings.Contains(fix, tc.fix)):
					t.Errorf("setting on: fix %q; want %q and no longer %q", fix, tc.after, tc.fix)
				}
			}
		})
	}
}

func write(t *testing.T, dir, name, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
