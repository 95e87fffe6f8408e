package lane

import (
	"errors"

	"github.com/bindmatrix/bindmatrix/matrix"
)

func runQEMU(cfg Config) (*matrix.Observation, error) {
	return nil, errors.New("the qemu lane is not built yet")
}
