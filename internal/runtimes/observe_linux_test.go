package runtimes

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bindmatrix/bindmatrix/internal/testenv"
	"github.com/bindmatrix/bindmatrix/matrix"
	"github.com/bindmatrix/bindmatrix/report"
)

// TestExposureOfRealServers audits some of the exposure table's servers
// as the runtimes command does (root, attempts as nobody too) and holds
// each verdict and who can take it to what the table says of them: a
// same-user SO_REUSEPORT group that only root can join (haproxy run as
// root, Bun.serve with reusePort), a knob that turns it off (haproxy
// noreuseport), a UDP socket any user can take (unbound's SO_REUSEADDR,
// so-reuseport: no), and sockets made as another user (named -u bind:
// joined as bind, taken as nobody on UDP).
func TestExposureOfRealServers(t *testing.T) {
	testenv.SkipIfShort(t, "starts real daemons and runtimes and audits each")
	testenv.Need(t, os.Geteuid() == 0, "root (attempts as nobody and as a daemon's user)", "run the tests as root")
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	data, err := os.ReadFile(filepath.Join(root, ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	servers, err := ParseManifest(ManifestFile, data)
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		proto   matrix.Proto
		verdict matrix.SocketVerdict
		who     string
	}
	for _, tc := range []struct {
		server, needs string
		want          []want
	}{
		{"haproxy", "haproxy", []want{{matrix.TCP, matrix.Hijackable, report.PrivilegedOnly}}},
		{"haproxy-noreuseport", "haproxy", []want{{matrix.TCP, matrix.Exclusive, ""}}},
		{"unbound-noreuseport", "unbound", []want{{matrix.TCP, matrix.Exclusive, ""}, {matrix.UDP, matrix.Hijackable, report.AnyUser}}},
		{"named", "named", []want{{matrix.TCP, matrix.Hijackable, report.SameUser}, {matrix.UDP, matrix.Hijackable, report.AnyUser}}},
		{"bun-serve-reuseport", filepath.Join(root, NPMDir, "@oven/bun-linux-x64/bin/bun"), []want{{matrix.TCP, matrix.Hijackable, report.PrivilegedOnly}}},
		{"bun-serve", filepath.Join(root, NPMDir, "@oven/bun-linux-x64/bin/bun"), []want{{matrix.TCP, matrix.Exclusive, ""}}},
	} {
		t.Run(tc.server, func(t *testing.T) {
			_, err := exec.LookPath(tc.needs)
			testenv.Need(t, err == nil, tc.needs, "bash .ci/run setup installs the daemons (apt) and the npm runtimes (npm ci)")
			s, err := Select(servers, []string{tc.server})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			a, err := Observe(ctx, s[0], Options{Root: root, Wait: 20 * time.Second, Today: time.Now()})
			if err != nil {
				t.Fatal(err)
			}
			if a.Runtime.Missing != "" || len(a.Sockets) == 0 {
				t.Fatalf("not audited: %s %s", a.Runtime.Missing, a.Note)
			}
			for _, w := range tc.want {
				for _, sock := range a.Sockets {
					if sock.Proto != w.proto {
						continue
					}
					// What the table shows (the audit's own severity), and
					// the table's derivation from the attempts, agree.
					who, how := report.SocketSeverity(a.Target.Users, sock)
					derived, _ := report.Severity(a.Target.Users, sock)
					if sock.Verdict != w.verdict || who != w.who || derived != w.who {
						t.Errorf("%s %s: %s, who can take it %q (%s), derived %q; want %s, %q", sock.Proto, sock.Address, sock.Verdict, who, how, derived, w.verdict, w.who)
					}
					if w.who != "" && (strings.Contains(how, "derived") || strings.Contains(how, "not-confirmed")) {
						t.Errorf("%s %s: who can take it was not confirmed: %s", sock.Proto, sock.Address, how)
					}
				}
			}
		})
	}
}
