//go:build !linux

package scenarios

import "errors"

// procWitness exists on Linux only.
func procWitness() (*witness, error) {
	return nil, errors.New("/proc/net/tcp exists on Linux only")
}
