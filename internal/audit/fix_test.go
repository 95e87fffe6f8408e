package audit

import (
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
