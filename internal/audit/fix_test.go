package audit

import (
	"errors"
	"strings"
	"testing"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// TestFixForReadsTheRegistry: the fix an audit names comes from the
// platform's registry row, one per cause that applies, and a platform with
// none says no fix is known there.
func TestFixForReadsTheRegistry(t *testing.T) {
	took := func(proto matrix.Proto, opts ...matrix.Option) matrix.AuditSocket {
		s := matrix.AuditSocket{Proto: proto}
		for _, o := range opts {
			s.Attempts = append(s.Attempts, matrix.Attempt{Option: o, Outcome: matrix.OK})
		}
		return s
	}
	for _, tc := range []struct {
		platform string
		s        matrix.AuditSocket
		want     []string // beginnings of the fixes, in order
	}{
		{"windows", took(matrix.TCP, matrix.ReuseAddr), []string{"set SO_EXCLUSIVEADDRUSE"}},
		{"wine", took(matrix.TCP), []string{"set SO_EXCLUSIVEADDRUSE"}},
		{"linux", took(matrix.UDP, matrix.ReuseAddr, matrix.ReusePort), []string{"drop SO_REUSEPORT (nginx", "do not set SO_REUSEADDR on the UDP socket"}},
		{"linux", took(matrix.TCP, matrix.ReuseAddr), []string{"another process took some of this socket's traffic"}},
		{"freebsd", took(matrix.TCP, matrix.ReusePortLB), []string{"drop SO_REUSEPORT: a socket"}},
		{"darwin", took(matrix.TCP, matrix.ReusePort), []string{"drop SO_REUSEPORT: a socket", "listen on the specific addresses"}},
		{"illumos", took(matrix.TCP, matrix.ReusePort), []string{"another process took some of this socket's traffic with the attempts marked above; no fix is known to this tool for that case on illumos"}},
	} {
		t.Run(tc.platform, func(t *testing.T) {
			text, at := fixFor(tc.platform, tc.s), 0
			for i, want := range tc.want {
				j := strings.Index(text[at:], want)
				if j < 0 || i == 0 && j != 0 {
					t.Fatalf("fixes %q: want %q in order, and nothing before the first", text, tc.want)
				}
				at += j + len(want)
			}
			given := 0
			for _, f := range matrix.FactsOf(tc.platform).Fixes {
				if strings.Contains(text, f.Text) {
					given++
				}
			}
			if fallback := strings.HasPrefix(text, "another process"); given != len(tc.want) && !(fallback && given == 0) {
				t.Errorf("fixes %q: %d of the registry's, want %d", text, given, len(tc.want))
			}
		})
	}
}

// TestFixForNamesTheProgramsKnob: for a program programs.txt knows, the fix
// is its own setting (or the word that none turns it off), in place of
// the platform's generic fix for the options it covers.
func TestFixForNamesTheProgramsKnob(t *testing.T) {
	held := func(program string, proto matrix.Proto, opts ...matrix.Option) matrix.AuditSocket {
		s := matrix.AuditSocket{Proto: proto, Command: program}
		for _, o := range opts {
			s.Attempts = append(s.Attempts, matrix.Attempt{Option: o, Outcome: matrix.OK})
		}
		return s
	}
	for _, tc := range []struct {
		name, platform string
		s              matrix.AuditSocket
		want           []string // in the fix, in order
		not            []string
	}{
		{"haproxy", "linux", held("haproxy", matrix.TCP, matrix.ReusePort), []string{"haproxy (SO_REUSEPORT): add noreuseport to the global section"}, []string{"drop SO_REUSEPORT (nginx"}},
		{"apache", "linux", held("apache2", matrix.TCP, matrix.ReusePort), []string{"remove the ListenCoresBucketsRatio directive"}, []string{"drop SO_REUSEPORT (nginx"}},
		{"unbound, both options", "linux", held("unbound", matrix.UDP, matrix.ReuseAddr, matrix.ReusePort),
			[]string{"set so-reuseport: no", "nothing in unbound.conf(5) turns it off"}, []string{"do not set SO_REUSEADDR on the UDP socket", "drop SO_REUSEPORT (nginx"}},
		{"named, SO_REUSEADDR only", "linux", held("named", matrix.UDP, matrix.ReuseAddr), []string{"nothing in named.conf(5) turns it off"}, []string{"set reuseport no; in the options block", "do not set SO_REUSEADDR"}},
		{"caddy has no knob", "linux", held("caddy", matrix.TCP, matrix.ReusePort), []string{"caddy (SO_REUSEPORT): nothing in caddy's configuration turns it off"}, nil},
		{"gunicorn", "linux", held("gunicorn", matrix.TCP, matrix.ReusePort), []string{"without --reuse-port"}, nil},
		{"an unknown program", "linux", held("myserver", matrix.TCP, matrix.ReusePort), []string{"drop SO_REUSEPORT (nginx"}, nil},
		{"haproxy elsewhere", "freebsd", held("haproxy", matrix.TCP, matrix.ReusePort), []string{"drop SO_REUSEPORT: a socket"}, []string{"noreuseport"}},
		{"haproxy, another option", "linux", held("haproxy", matrix.UDP, matrix.ReuseAddr), []string{"do not set SO_REUSEADDR on the UDP socket"}, []string{"noreuseport"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text, at := fixFor(tc.platform, tc.s), 0
			for _, want := range tc.want {
				j := strings.Index(text[at:], want)
				if j < 0 {
					t.Fatalf("fix %q: want %q in order", text, tc.want)
				}
				at += j + len(want)
			}
			for _, not := range tc.not {
				if strings.Contains(text, not) {
					t.Errorf("fix %q holds %q", text, not)
				}
			}
		})
	}
}

// TestProgramFixesParse: programs.txt, built into the binary, parses, and
// the parser refuses what would make a fix apply wrongly.
func TestProgramFixesParse(t *testing.T) {
	fixes, err := ParseProgramFixes("programs.txt", programsTxt)
	if err != nil || len(fixes) == 0 || len(ProgramFixes()) != len(fixes) {
		t.Fatalf("%d fixes, %v", len(fixes), err)
	}
	for name, line := range map[string]string{
		"columns":   "haproxy | linux | SO_REUSEPORT | add noreuseport",
		"empty":     "haproxy | linux | SO_REUSEPORT |  | docs",
		"platform":  "haproxy | plan9 | SO_REUSEPORT | x | docs",
		"option":    "haproxy | linux | reuseport | x | docs",
		"no option": "haproxy | linux | none | x | docs",
		"long name": "a-very-long-command-name | linux | SO_REUSEPORT | x | docs",
		"path":      "/usr/sbin/haproxy | linux | SO_REUSEPORT | x | docs",
		"second":    "haproxy | linux | SO_REUSEPORT | x | docs\nhaproxy, hapx | linux | SO_REUSEPORT | y | docs",
	} {
		var ie *matrix.InputError
		if _, err := ParseProgramFixes("p.txt", []byte("# c\n"+line+"\n")); !errors.As(err, &ie) || ie.Line < 2 {
			t.Errorf("%s: %v, want an input error naming its line", name, err)
		}
	}
}
