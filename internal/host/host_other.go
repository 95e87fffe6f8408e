//go:build !unix && !windows

package host

import (
	"runtime"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// Platform describes the machine; this OS offers no kernel release to ask.
func Platform() matrix.Platform {
	return matrix.Platform{Name: runtime.GOOS, GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, Kernel: "unknown", Go: runtime.Version()}
}
