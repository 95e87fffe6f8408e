package runtimes

import (
	"os"
	"testing"

	"github.com/bindmatrix/bindmatrix/internal/child"
	"github.com/bindmatrix/bindmatrix/internal/reexec"
)

// TestMain dispatches the audit's helpers: the audit starts this test
// binary again as its attempt helper, which without this would run every
// test again, each starting servers and helpers of its own (seen here:
// two thousand haproxy processes before it was stopped).
func TestMain(m *testing.M) {
	reexec.Main(child.Role)
	os.Exit(m.Run())
}
