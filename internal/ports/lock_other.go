//go:build !linux

package ports

import (
	"io"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// lockPort has no lock that dies with its process to offer here; bindmatrix
// processes rely on the probe alone.
func lockPort(proto matrix.Proto, port uint16) (io.Closer, error) { return noLock{}, nil }

type noLock struct{}

func (noLock) Close() error { return nil }
