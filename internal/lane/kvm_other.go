//go:build !linux

package lane

import "errors"

// kvmRuns: KVM is Linux's.
func kvmRuns() error { return errors.New("KVM is Linux's") }
