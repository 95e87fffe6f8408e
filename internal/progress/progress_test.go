package progress

import (
	"bytes"
	"testing"
)

// TestCounterReadsBack: what Counter writes, Latest finds, so the lanes pass
// on the inner run's counter.
func TestCounterReadsBack(t *testing.T) {
	var b bytes.Buffer
	count := Counter(&b)
	for i := 1; i <= 40; i++ {
		count(i, 40)
	}
	if got, ok := Latest(b.Bytes()); !ok || got != "40/40 cells" {
		t.Errorf("Latest = %q %v from %q", got, ok, b.String())
	}
	if want := "\r16/40 cells\r32/40 cells\r40/40 cells\n"; b.String() != want {
		t.Errorf("counter wrote %q, want %q", b.String(), want)
	}
	if _, ok := Latest([]byte("no counter here")); ok {
		t.Error("found a counter in text without one")
	}
}
