// Package lane runs the matrix somewhere other than this process: the
// project's Windows build under Wine, or its Linux build as the init of
// another kernel under QEMU. A lane builds the binary, runs `bindmatrix run
// -json` there and returns the observation it printed, whose platform block
// describes the place it ran, not this host.
//
// It is not a scenario runner: the cells run inside the lane by the same
// scenarios code as everywhere else.
package lane

import (
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// Config says what to run and where.
type Config struct {
	Under    string // a name from Names
	Kernel   string // qemu: the kernel image to boot
	Only     string // the -only filter, passed through
	Parallel int    // the -parallel value, passed through
	// Log receives progress lines for slow steps (building a Wine prefix,
	// booting a kernel); nil discards them.
	Log io.Writer
	// Verbose adds a counter of cells done to Log.
	Verbose bool
}

// Names lists the lanes.
var Names = []string{"wine", "qemu"}

// Run runs the matrix in the lane cfg.Under names.
func Run(cfg Config) (*matrix.Observation, error) {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	switch cfg.Under {
	case "wine":
		return runWine(cfg)
	case "qemu":
		return runQEMU(cfg)
	}
	return nil, fmt.Errorf("unknown lane %q (valid: %s)", cfg.Under, strings.Join(Names, ", "))
}

// innerArgs is the command line the lane's binary runs.
func innerArgs(cfg Config) []string {
	args := []string{"run", "-json"}
	if cfg.Verbose {
		args = append(args, "-v")
	}
	if cfg.Only != "" {
		args = append(args, "-only", cfg.Only)
	}
	if cfg.Parallel > 0 {
		args = append(args, "-parallel", fmt.Sprint(cfg.Parallel))
	}
	return args
}

// innerIncomplete is the exit code of an inner run that printed its
// observation but could not reach every cell: the observation still counts,
// and its unreached cells say why.
const innerIncomplete = 3

// incompleteRun says whether err is the inner run's exit with that code.
func incompleteRun(err error) bool {
	var exit *exec.ExitError
	return errors.As(err, &exit) && exit.ExitCode() == innerIncomplete
}
