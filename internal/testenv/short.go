package testenv

import "testing"

// SkipIfShort skips t under go test -short, the inner loop (under half a
// minute), saying why t is not part of it: it starts a lane, runs the whole
// matrix again and again, audits a real server or interrupts a run. The
// full suite, without -short, runs everything.
func SkipIfShort(t testing.TB, why string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("skipped with -short: %s", why)
	}
}
