package child

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/bindmatrix/bindmatrix/internal/testenv"
)

// TestNoCopyOfTheBinaryWhileAHelperRuns: the copy of the binary a helper
// of another user runs from was kept until the helper stopped, so an
// interrupt that ended bindmatrix at once (`-as USER`, a second ^C) left
// it in the temporary directory. It is gone as soon as the helper runs:
// /proc shows the helper's executable deleted.
func TestNoCopyOfTheBinaryWhileAHelperRuns(t *testing.T) {
	testenv.Need(t, os.Geteuid() == 0, "root (a helper as another user)", "run the tests as root")
	h := startHelper(t, OtherUser)
	exe, err := os.Readlink("/proc/" + strconv.Itoa(h.Pid()) + "/exe")
	if err != nil {
		t.Fatal(err)
	}
	path, deleted := strings.CutSuffix(exe, " (deleted)")
	if _, err := os.Stat(path); !deleted || !os.IsNotExist(err) {
		t.Errorf("the helper runs from %q, which is still there (%v)", exe, err)
	}
	if !strings.Contains(path, "bindmatrix-helper-") {
		t.Errorf("the helper runs from %q, not a copy", path)
	}
}
