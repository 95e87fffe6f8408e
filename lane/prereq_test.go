package lane

import (
	"os"
	"testing"

	"github.com/bindmatrix/bindmatrix/internal/sourcetest"
)

// need skips a test whose prerequisite is missing, saying what is missing
// and how to get it; in CI, where .ci/run installs everything, a missing
// prerequisite is a failure, so nothing is skipped there unnoticed.
func need(t *testing.T, ok bool, what, how string) {
	t.Helper()
	sourcetest.Track("..") // the lanes build bindmatrix from these
	if ok {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is missing in CI (.ci/run should have provided it: %s)", what, how)
	}
	t.Skipf("skipped: %s is missing; %s", what, how)
}
