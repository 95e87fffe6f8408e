package witness_test

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/bindmatrix/bindmatrix/internal/witness"
)

// TestOpenNeverReturnsNil: a witness that cannot be opened is None, whose
// every lookup says why, so that callers need no nil checks.
func TestOpenNeverReturnsNil(t *testing.T) {
	for _, kind := range []string{witness.Off, "bogus"} {
		w, err := witness.Open(kind)
		if err == nil || w == nil {
			t.Fatalf("Open(%q) = %v, %v; want None and an error", kind, w, err)
		}
		_, found, lerr := w.Lookup(netip.MustParseAddrPort("127.0.0.1:1"), netip.AddrPort{})
		if found || !errors.Is(lerr, witness.ErrNoWitness) || !strings.Contains(lerr.Error(), err.Error()) {
			t.Errorf("Open(%q): lookup found=%v err=%v, want ErrNoWitness with the reason", kind, found, lerr)
		}
	}
}
