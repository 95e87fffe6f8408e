package lane

import (
	"errors"

	"github.com/bindmatrix/bindmatrix/matrix"
)

func runWine(cfg Config) (*matrix.Observation, error) {
	return nil, errors.New("the wine lane is not built yet")
}
