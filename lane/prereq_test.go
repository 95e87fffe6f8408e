package lane

import (
	"testing"

	"github.com/bindmatrix/bindmatrix/internal/testenv"
)

// need skips a test whose prerequisite is missing, or fails it where every
// prerequisite is required (testenv.RequireAll).
func need(t *testing.T, ok bool, what, how string) {
	t.Helper()
	testenv.TrackSources("..") // the lanes build bindmatrix from these
	testenv.Need(t, ok, what, how)
}
