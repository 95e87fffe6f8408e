// Package lane runs the matrix somewhere other than this process: the
// project's Windows build under Wine, or its Linux build as the init of
// another kernel under QEMU. A lane builds the binary, runs `bindmatrix run
// -json` there and returns the observation it printed, whose platform block
// describes the place it ran, not this host.
//
// It is not a scenario runner: the cells run inside the lane by the same
// runner code as everywhere else.
package lane

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// Config says what to run and where.
type Config struct {
	Under    string // a name from Names
	Kernel   string // qemu: the kernel image to boot
	Only     string // the -only filter, passed through
	Parallel int    // the -parallel value, passed through
	Repeat   int    // the -repeat value, passed through
	// Log receives progress lines for slow steps (building a Wine prefix,
	// booting a kernel); nil discards them.
	Log io.Writer
	// Verbose adds a counter of cells done to Log.
	Verbose bool
	// Extra is added to the lane's time limit, for a command (Command)
	// that takes longer than a matrix run.
	Extra time.Duration
}

// Names lists the lanes (matrix.Lanes); Run has a case for each.
var Names = matrix.LaneNames()

// Run runs the matrix in the lane cfg.Under names. Cancelling ctx kills
// the lane's processes (Wine's process group and server, QEMU, a build
// under way), removes its temporary files, and returns ctx's cause.
func Run(ctx context.Context, cfg Config) (*matrix.Observation, error) {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	switch cfg.Under {
	case "wine":
		return runWine(ctx, cfg)
	case "qemu":
		return runQEMU(ctx, cfg)
	}
	return nil, fmt.Errorf("unknown lane %q (valid: %s)", cfg.Under, strings.Join(Names, ", "))
}

// Command runs bindmatrix with args in the lane and returns its exit code
// and what it printed on standard output: any command, for commands that
// run in a lane what they run here (try, explore). Cancelling ctx stops it
// as it stops Run.
func Command(ctx context.Context, cfg Config, args []string) (code int, stdout []byte, err error) {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	switch cfg.Under {
	case "wine":
		stdout, _, code, err := underWineCode(ctx, cfg, args)
		return code, stdout, err
	case "qemu":
		return inGuest(ctx, cfg, args)
	}
	return 0, nil, fmt.Errorf("unknown lane %q (valid: %s)", cfg.Under, strings.Join(Names, ", "))
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
	if cfg.Repeat > 1 {
		args = append(args, "-repeat", fmt.Sprint(cfg.Repeat))
	}
	return args
}

// innerIncomplete is the exit code of an inner run that printed its
// observation but could not reach every cell: the observation still counts,
// and its unreached cells say why.
const innerIncomplete = 3

// Audit runs `bindmatrix audit -json ARGS` in the lane and returns the
// audit it printed. Only the Wine lane runs audits: a command to audit
// must run where the audit does, and a QEMU guest has nothing but
// bindmatrix. Windows programs of this host are named with WindowsPath.
// Cancelling ctx stops it as it stops Run: the audited server, a process
// of the lane's prefix, ends with the prefix's wineserver, and the inner
// audit goes no further (no restart).
func Audit(ctx context.Context, cfg Config, args []string) (*matrix.Audit, error) {
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.Under != "wine" {
		return nil, fmt.Errorf("audits run under wine only, not %q: the server audited must run where the audit does", cfg.Under)
	}
	// 1: a takeover or a failed restart; 3: incomplete. Both print the audit.
	stdout, stderr, err := underWine(ctx, cfg, append([]string{"audit", "-json"}, args...), 1, innerIncomplete)
	if err != nil {
		return nil, err
	}
	a, err := matrix.DecodeAudit("bindmatrix.exe audit under Wine", stdout)
	if err != nil {
		return nil, withStderr(err, stderr)
	}
	return a, nil
}
