//go:build !linux

package audit

import (
	"errors"

	"github.com/bindmatrix/bindmatrix/internal/sock"
)

func steerTo(s sock.Socket, index uint32) error {
	return errors.New("SO_ATTACH_REUSEPORT_CBPF is Linux's")
}
