package testenv

import (
	"os"
	"testing"
)

// RequireAll is set by .ci/run, which installs every prerequisite: there a
// missing one is a failure, so that nothing is skipped unnoticed. Elsewhere
// (a developer's machine, a GitHub runner without Wine or QEMU) a test
// whose prerequisite is missing is skipped, saying what and how to get it.
const RequireAll = "BINDMATRIX_REQUIRE_ALL"

// Need skips or fails t when ok is false: what is missing, how to get it.
func Need(t testing.TB, ok bool, what, how string) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv(RequireAll) == "1" {
		t.Fatalf("%s is missing, and %s=1 requires it: %s", what, RequireAll, how)
	}
	t.Skipf("skipped: %s is missing; %s", what, how)
}
