package sock

import (
	"fmt"
	"strings"
	"testing"

	"github.com/bindmatrix/bindmatrix/matrix"
)

func TestPosixOfWSA(t *testing.T) {
	for _, tc := range []struct {
		code   int
		posix  string
		mapped bool
	}{
		{10048, "EADDRINUSE", true},
		{10013, "EACCES", true},
		{10022, "EINVAL", true},
		{10047, "EAFNOSUPPORT", true},
		{10042, "ENOPROTOOPT", true},
		{10049, "EADDRNOTAVAIL", true},
		{10055, "ENOBUFS", true},
		{10061, "ECONNREFUSED", true},
		{10038, "ENOTSOCK", true},
		{10103, "ECANCELED", true},
		{10093, "", false}, // WSANOTINITIALISED: Winsock's own
		{122, "", false},   // ERROR_INSUFFICIENT_BUFFER: not a Winsock code
		{98, "", false},    // Linux's EADDRINUSE number means nothing here
	} {
		t.Run(fmt.Sprint(tc.code), func(t *testing.T) {
			posix, ok := posixOfWSA(tc.code)
			if posix != tc.posix || ok != tc.mapped {
				t.Errorf("posixOfWSA(%d) = %q, %v; want %q, %v", tc.code, posix, ok, tc.posix, tc.mapped)
			}
		})
	}
}

// Every mapped name must be one an outcome can carry, and must be the WSA
// name without its prefix: a typo in the table would otherwise put an error
// into the expected tables that no OS reports.
func TestWSATableNames(t *testing.T) {
	for code, e := range wsaErrors {
		if code < 10000 || code > 11999 {
			t.Errorf("%d (%s) is outside Winsock's range", code, e.wsa)
		}
		if !strings.HasPrefix(e.wsa, "WSA") {
			t.Errorf("%d: name %q lacks the WSA prefix", code, e.wsa)
		}
		if e.posix == "" {
			continue
		}
		if _, err := matrix.ParseOutcome(string(matrix.Failed("bind", e.posix))); err != nil {
			t.Errorf("%d: %v", code, err)
		}
		if e.wsa != "WSA"+e.posix && e.wsa != "WSAECANCELLED" {
			t.Errorf("%d: %s maps to %s, not the same name", code, e.wsa, e.posix)
		}
	}
}
