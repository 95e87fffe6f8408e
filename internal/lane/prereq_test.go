package lane

import (
	"runtime"
	"testing"

	"github.com/bindmatrix/bindmatrix/internal/testenv"
)

// need skips a test whose prerequisite is missing, or fails it where every
// prerequisite is required (testenv.RequireAll).
func need(t *testing.T, ok bool, what, how string) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skipf("skipped on %s: the Wine and QEMU lanes run from a Linux host", runtime.GOOS)
	}
	testenv.TrackSources("../..") // the lanes build bindmatrix from these
	testenv.Need(t, ok, what, how)
}
