//go:build !linux

package scenarios

import "github.com/bindmatrix/bindmatrix/matrix"

// portLock has no lock that dies with its process to offer here; bindmatrix
// processes rely on the probe alone.
func portLock(proto matrix.Proto, port uint16) (noLock, error) { return noLock{}, nil }

type noLock struct{}

func (noLock) Close() error { return nil }

// probeFamilies are the probes a free port must pass: each family in turn,
// since how far a dual-stack wildcard bind reaches differs between OSes.
var probeFamilies = []family{familyIPv4, familyIPv6, familyDualStack}
