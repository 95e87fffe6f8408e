// The observation a command works on: read from a file, run here, or run in
// a lane (Wine, QEMU), filtered by -only. This is the one place where "where
// does this observation come from" is decided, for every command that takes
// one.
package main

import (
	"context"
	"io"
	"os"
	"slices"

	"github.com/bindmatrix/bindmatrix/internal/host"
	"github.com/bindmatrix/bindmatrix/internal/lane"
	"github.com/bindmatrix/bindmatrix/internal/progress"
	"github.com/bindmatrix/bindmatrix/internal/runner"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// Source says where an observation comes from.
type Source struct {
	Observed string // a JSON file, schema 1 or 2
	Under    string // a lane: wine or qemu
	Kernel   string // qemu: the kernel image
	Only     string // a -only filter
	Parallel int
	Repeat   int // run the cells this many times (soaks); 0 or 1: once
	// Log receives what takes time (a lane's setup, its boot) and, with
	// Verbose, a counter of cells done; nil discards it.
	Log     io.Writer
	Verbose bool
}

// Observation gathers the observation s names. A run here or in a lane
// may return an observation with unreached cells; that is not an error.
// Cancelling ctx stops the run and returns its cause.
func (s Source) Observation(ctx context.Context) (*matrix.Observation, error) {
	filter, err := matrix.ParseFilter(s.Only)
	if err != nil {
		return nil, usageErrorf("-only: %v", err)
	}
	if s.Observed != "" && (s.Under != "" || s.Kernel != "") {
		return nil, usageErrorf("-observed reads a file; -under and -kernel run the matrix: give one or the other")
	}
	if s.Repeat < 0 || s.Repeat > 0 && s.Observed != "" {
		return nil, usageErrorf("-repeat %d: give a count of runs of the matrix here or in a lane", s.Repeat)
	}
	if s.Parallel < 0 {
		return nil, usageErrorf("-parallel %d: give a count of cells, or 0 for GOMAXPROCS", s.Parallel)
	}
	switch {
	case s.Observed != "":
		return s.read(filter)
	case s.Under != "":
		return lane.Run(ctx, lane.Config{Under: s.Under, Kernel: s.Kernel, Only: s.Only, Parallel: s.Parallel,
			Repeat: s.Repeat, Log: s.Log, Verbose: s.Verbose})
	case s.Kernel != "":
		return nil, usageErrorf("-kernel needs -under qemu")
	}
	cells := filter.CellsOn(host.Platform().Name)
	if len(cells) == 0 {
		return nil, usageErrorf("-only %q selects no cells", s.Only)
	}
	opt := runner.Options{Parallel: s.Parallel, Repeat: s.Repeat}
	if s.Verbose && s.Log != nil {
		opt.Progress = progress.Counter(s.Log)
	}
	obs := runner.Run(ctx, cells, opt)
	if ctx.Err() != nil {
		return nil, context.Cause(ctx) // the cells not run are missing
	}
	if _, named := filter["delivery"]; named {
		obs.Cells = slices.DeleteFunc(obs.Cells, func(r matrix.Result) bool { return !filter.MatchResult(r) })
		if len(obs.Cells) == 0 {
			return nil, usageErrorf("-only %q: no cell ran came out with that delivery", s.Only)
		}
	}
	return obs, nil
}

// read reads the observation file and keeps the cells the filter passes.
func (s Source) read(filter matrix.Filter) (*matrix.Observation, error) {
	obs, err := ReadFile(s.Observed)
	if err != nil {
		return nil, err
	}
	kept := slices.DeleteFunc(slices.Clone(obs.Cells), func(r matrix.Result) bool { return !filter.MatchResult(r) })
	if len(kept) == 0 {
		return nil, usageErrorf("-only %q keeps none of the %d cells in %s", s.Only, len(obs.Cells), s.Observed)
	}
	obs.Cells = kept
	return obs, nil
}

// ReadFile reads an observation file, refusing one too large to be one.
func ReadFile(file string) (*matrix.Observation, error) {
	data, err := readLimited(file, matrix.MaxObservationSize, "an observation")
	if err != nil {
		return nil, err
	}
	return matrix.DecodeObservation(file, data)
}

// ReadAudit reads an audit document (bindmatrix audit -json).
func ReadAudit(file string) (*matrix.Audit, error) {
	data, err := readLimited(file, matrix.MaxAuditSize, "an audit")
	if err != nil {
		return nil, err
	}
	return matrix.DecodeAudit(file, data)
}

func readLimited(file string, limit int, what string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, &matrix.InputError{File: file, Msg: err.Error()}
	}
	defer f.Close()
	return matrix.ReadLimited(file, f, limit, what)
}
