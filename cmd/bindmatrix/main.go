package main

import (
	"os"
	"time"
	"fmt"

	"github.com/bindmatrix/bindmatrix/matrix"
	"github.com/bindmatrix/bindmatrix/scenarios"
)

func main() {
	t := time.Now()
	obs := scenarios.Run(matrix.AllCells(), scenarios.Options{})
	d := time.Since(t)
	obs.Encode(os.Stdout)
	fmt.Fprintln(os.Stderr, d)
}
