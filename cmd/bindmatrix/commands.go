package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/bindmatrix/bindmatrix/internal/accept"
	"github.com/bindmatrix/bindmatrix/internal/lane"
	"github.com/bindmatrix/bindmatrix/matrix"
	"github.com/bindmatrix/bindmatrix/report"
)

// sourceFlags are the flags that say where an observation comes from.
type sourceFlags struct {
	Source
	kernels []string // -kernel, repeatable where a command compares
}

func (s *sourceFlags) register(fs *flag.FlagSet, withFile bool) {
	if withFile {
		fs.StringVar(&s.Observed, "observed", "", "read the observation from `FILE` (JSON, schema 2; schema 1 is read too) instead of running the matrix here")
	}
	fs.StringVar(&s.Only, "only", "", "run or keep only cells matching `key=value,...` (keys: "+strings.Join(matrix.FieldNames(), ", ")+"); repeat a key for alternatives")
	fs.IntVar(&s.Parallel, "parallel", 0, "cells to run at once (0: GOMAXPROCS; at least 16 where the witness reads whole tables: Windows, Wine, macOS, the BSDs)")
	fs.IntVar(&s.Repeat, "repeat", 0, "run the cells `N` times (a soak): a cell whose answer changes between runs is reported unreached, FLIPPED")
	fs.BoolVar(&s.Verbose, "v", false, "show a counter of cells done on stderr")
	fs.StringVar(&s.Under, "under", "", "run the matrix in a lane instead of this process: `LANE` is "+strings.Join(lane.Names, " or "))
	fs.Func("kernel", "with -under qemu: the Linux kernel image (`VMLINUZ`) to boot; check takes several and runs each", func(v string) error {
		s.kernels = append(s.kernels, v)
		s.Kernel = v
		return nil
	})
}

// oneKernel refuses several -kernel flags where one observation comes out.
func (s *sourceFlags) oneKernel(command string) error {
	if len(s.kernels) > 1 {
		return usageErrorf("%s makes one observation: give -kernel once (check runs several)", command)
	}
	return nil
}

func (s *sourceFlags) observation(ctx context.Context, stderr io.Writer) (*matrix.Observation, error) {
	src := s.Source
	src.Log = stderr
	return src.Observation(ctx)
}

// tables says where expected tables come from: a directory, or the copy
// built into the binary.
type tables struct{ dir string }

func (t *tables) register(fs *flag.FlagSet) {
	fs.StringVar(&t.dir, "expected", "", "read expected tables from `DIR` (default: the copy of "+matrix.ExpectedDir+" built into bindmatrix)")
}

func (t *tables) load(platform string) (*matrix.Table, error) {
	fsys, dir := t.files()
	return matrix.LoadTable(fsys, dir, platform)
}

func (t *tables) files() (fs.FS, string) {
	if t.dir == "" {
		return matrix.BuiltinTables(), matrix.ExpectedDir
	}
	return os.DirFS(t.dir), t.dir
}

// forRun is the table an observation is compared with: its platform's,
// with the override of its kernel laid over it where one names the
// kernel's release (matrix.ReadOverride).
func (t *tables) forRun(p matrix.Platform) (*matrix.Table, error) {
	table, err := t.load(p.Name)
	if err != nil {
		return nil, err
	}
	fsys, dir := t.files()
	o, err := matrix.ReadOverride(fsys, dir, p.Name, p.Kernel)
	if err != nil || o == nil {
		return table, err
	}
	return table.Overlay(o)
}

func newFlags(name, summary string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("bindmatrix "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: bindmatrix %s [flags]\n\n%s\n\nFlags:\n", name, summary)
		fs.PrintDefaults()
		fmt.Fprintf(stderr, "\nExit codes: 0 agree, 1 differ, 2 bad input, 3 incomplete (cells unreached).\n")
	}
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return usageErrorf("%v", err)
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// cmdVerdict is bindmatrix without a command: run, compare, print the verdict.
func cmdVerdict(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlags("", "Run the matrix here, compare with this platform's expected table, print the verdict.", stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "%s\nFlags of bindmatrix without a command:\n", usage)
		fs.PrintDefaults()
	}
	var src sourceFlags
	var tab tables
	src.register(fs, false)
	tab.register(fs)
	if err := parse(fs, args); err != nil {
		return exitBadInput, err
	}
	return compare(ctx, &src, &tab, "text", stdout, stderr)
}

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlags("run", "Run the matrix here and print what every cell did.", stderr)
	var src sourceFlags
	asJSON := fs.Bool("json", false, "print the observation document (JSON, schema 2; schema 1 is read too) instead of text")
	src.register(fs, false)
	if err := parse(fs, args); err != nil {
		return exitBadInput, err
	}
	if err := src.oneKernel("run"); err != nil {
		return exitBadInput, err
	}
	obs, err := src.observation(ctx, stderr)
	if err != nil {
		return exitBadInput, err
	}
	format := "text"
	if *asJSON {
		format = "json"
	}
	r, _ := report.New(format)
	if err := r.Observation(stdout, obs); err != nil {
		return exitBadInput, err
	}
	if slices.ContainsFunc(obs.Cells, func(r matrix.Result) bool { return r.Outcome == matrix.Unreached }) {
		return exitIncomplete, nil // the observation is printed; it is not complete
	}
	return exitAgree, nil
}

func cmdCheck(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlags("check", "Compare an observation (a file, or a fresh run here) with the expected table of its platform.", stderr)
	var src sourceFlags
	var tab tables
	src.register(fs, true)
	tab.register(fs)
	format := fs.String("format", "text", "render the comparison as `FORMAT`: "+strings.Join(report.Formats, ", "))
	if err := parse(fs, args); err != nil {
		return exitBadInput, err
	}
	return compare(ctx, &src, &tab, *format, stdout, stderr)
}

func compare(ctx context.Context, src *sourceFlags, tab *tables, format string, stdout, stderr io.Writer) (int, error) {
	if len(src.kernels) < 2 {
		code, _, err := compareOne(ctx, src, tab, format, stdout, stderr)
		return code, err
	}
	// Each kernel in turn; the exit code is the worst: bad input, then a
	// difference, then an incomplete run. The text ends with one line per
	// kernel (several builds share a release string: the image's path and
	// hash name it) and one verdict for them all.
	worst := exitAgree
	rank := map[int]int{exitAgree: 0, exitIncomplete: 1, exitDiffer: 2, exitBadInput: 3}
	var summary []string
	for _, k := range src.kernels {
		if ctx.Err() != nil {
			return exitIncomplete, context.Cause(ctx)
		}
		one := *src
		one.Kernel, one.kernels = k, nil
		code, c, err := compareOne(ctx, &one, tab, format, stdout, stderr)
		if err != nil {
			report.Printf(stderr, "bindmatrix: -kernel %s: %v\n", k, err)
		}
		if rank[code] > rank[worst] {
			worst = code
		}
		hash := imageHash(k)
		if c != nil && c.Platform.Image != nil {
			hash = c.Platform.Image.SHA256[:12] // what the lane booted
		}
		// Laid out here, so each value from input is escaped here.
		line := fmt.Sprintf("  %-10s %s (sha256 %s)", verdictWord[code], report.Escape(k), report.Escape(hash))
		if c != nil {
			line += fmt.Sprintf(", kernel %s, expected %s", report.Escape(c.Platform.Kernel), report.Escape(c.Table.File))
			if len(c.Differences) > 0 {
				line += "\n             " + report.Escape(commonGround(c.Differences, c.Platform.Kernel))
			}
		}
		summary = append(summary, line)
	}
	if format == "text" {
		fmt.Fprintf(stdout, "\n%d kernels:\n%s\nVERDICT (all %d kernels): %s\n", len(src.kernels), strings.Join(summary, "\n"), len(src.kernels), verdictWord[worst])
	}
	return worst, nil
}

// verdictWord names an exit code in a multi-kernel summary.
var verdictWord = map[int]string{exitAgree: "AGREE", exitDiffer: "DIFFER", exitIncomplete: "INCOMPLETE", exitBadInput: "FAILED"}

// imageHash is the first 12 hex digits of a kernel image's SHA-256, or
// why there is none.
func imageHash(file string) string {
	f, err := os.Open(file)
	if err != nil {
		return "unreadable"
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "unreadable"
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

func compareOne(ctx context.Context, src *sourceFlags, tab *tables, format string, stdout, stderr io.Writer) (int, *matrix.Comparison, error) {
	r, err := report.New(format)
	if err != nil {
		return exitBadInput, nil, usageErrorf("-format: %v", err)
	}
	obs, err := src.observation(ctx, stderr)
	if err != nil {
		return exitBadInput, nil, err
	}
	table, err := tab.forRun(obs.Platform)
	if err != nil {
		return exitBadInput, nil, err
	}
	c := matrix.Compare(table, obs)
	if err := r.Comparison(stdout, c); err != nil {
		return exitBadInput, c, err
	}
	if len(c.Differences) > 0 && format == "text" {
		report.Printf(stdout, "what the differing cells have in common: %s\n", commonGround(c.Differences, obs.Platform.Kernel))
	}
	return exitCode(c.Verdict()), c, nil
}

func exitCode(v matrix.Verdict) int {
	switch v {
	case matrix.Differ:
		return exitDiffer
	case matrix.Incomplete:
		return exitIncomplete
	}
	return exitAgree
}

func cmdReport(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlags("report", "Render an observation file, or its comparison with the expected table (-compare), or an audit.", stderr)
	var tab tables
	observed := fs.String("observed", "", "the observation `FILE` to render")
	audited := fs.String("audit", "", "the audit `FILE` (bindmatrix audit -json) to render")
	format := fs.String("format", "text", "`FORMAT`: "+strings.Join(report.Formats, ", "))
	against := fs.Bool("compare", false, "render the comparison with the expected table, not the bare observation")
	tab.register(fs)
	if err := parse(fs, args); err != nil {
		return exitBadInput, err
	}
	if (*observed == "") == (*audited == "") {
		return exitBadInput, usageErrorf("report needs -observed FILE or -audit FILE")
	}
	r, err := report.New(*format)
	if err != nil {
		return exitBadInput, usageErrorf("-format: %v", err)
	}
	if *audited != "" {
		a, err := ReadAudit(*audited)
		if err != nil {
			return exitBadInput, err
		}
		return auditExit(r, a, stdout)
	}
	src := sourceFlags{Source: Source{Observed: *observed}}
	if *against {
		return compare(ctx, &src, &tab, *format, stdout, stderr)
	}
	obs, err := src.observation(ctx, stderr)
	if err != nil {
		return exitBadInput, err
	}
	return exitAgree, r.Observation(stdout, obs)
}

func cmdAccept(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlags("accept", "Write an observation (a file, or a fresh run here) into its platform's expected table,\nkeeping the table's comments. Review the diff before committing.", stderr)
	var src sourceFlags
	src.register(fs, true)
	dir := fs.String("expected", matrix.ExpectedDir, "the expected tables' `DIR` to write into")
	override := fs.String("override", "", "write the cells where the run differs from the platform's table into the kernel override DIR/kernels/`NAME`.txt, naming the run's kernel (see docs/lanes.md)")
	if err := parse(fs, args); err != nil {
		return exitBadInput, err
	}
	if err := src.oneKernel("accept"); err != nil {
		return exitBadInput, err
	}
	if st, err := os.Stat(*dir); err != nil || !st.IsDir() {
		return exitBadInput, usageErrorf("no directory %s here: run from the repository root or pass -expected DIR", *dir)
	}
	obs, err := src.observation(ctx, stderr)
	if err != nil {
		return exitBadInput, err
	}
	if *override != "" {
		s, err := accept.Override(*dir, *override, obs, time.Now(), explainCell(obs.Platform.Kernel))
		if errors.Is(err, accept.ErrHoles) {
			return exitIncomplete, err
		}
		if err != nil {
			return exitBadInput, err
		}
		report.Printf(stdout, "wrote %s: %d cells where %s %s differs from its table\n", s.File, s.Accepted, obs.Platform.Name, obs.Platform.Kernel)
		return exitAgree, nil
	}
	s, err := accept.Into(*dir, obs, time.Now())
	switch {
	case errors.Is(err, accept.ErrHoles):
		return exitIncomplete, err
	case err != nil:
		return exitBadInput, err
	}
	p := obs.Platform
	if s.Agreed {
		report.Printf(stdout, "wrote %s: %s %s %s agrees on all %d cells; recorded as agreeing, the table's cells unchanged\n", s.File, p.Name, p.Kernel, p.GOARCH, s.Accepted)
		return exitAgree, nil
	}
	report.Printf(stdout, "wrote %s: %d cells from %s %s %s", s.File, s.Accepted, p.Name, p.Kernel, p.GOARCH)
	if s.Kept > 0 {
		fmt.Fprintf(stdout, "; %d unreached cells kept their old expectation", s.Kept)
	}
	if s.Outside > 0 {
		report.Printf(stdout, "; %d cells outside the table's scope (%s) left out: remove its scope line to take them", s.Outside, s.Scope)
	}
	fmt.Fprintln(stdout)
	return exitAgree, nil
}
