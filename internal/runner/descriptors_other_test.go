//go:build !unix && !windows

package runner

import (
	"errors"
	"runtime"
)

// openDescriptors has no way to list descriptors here.
func openDescriptors() (map[string]bool, error) {
	return nil, errors.New("no way to list descriptors on " + runtime.GOOS)
}
