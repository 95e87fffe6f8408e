package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/bindmatrix/bindmatrix/lane"
	"github.com/bindmatrix/bindmatrix/matrix"
	"github.com/bindmatrix/bindmatrix/report"
	"github.com/bindmatrix/bindmatrix/scenarios"
)

// source says where an observation comes from: a file, or a run here.
type source struct {
	observed string
	under    string
	kernel   string
	only     string
	parallel int
	verbose  bool
}

func (s *source) register(fs *flag.FlagSet, withFile bool) {
	if withFile {
		fs.StringVar(&s.observed, "observed", "", "read the observation from `FILE` (JSON, schema 1) instead of running the matrix here")
	}
	fs.StringVar(&s.only, "only", "", "run or keep only cells matching `key=value,...` (keys: "+strings.Join(matrix.FieldNames(), ", ")+"); repeat a key for alternatives")
	fs.IntVar(&s.parallel, "parallel", 0, "cells to run at once (0: GOMAXPROCS)")
	fs.BoolVar(&s.verbose, "v", false, "show a counter of cells done on stderr")
	fs.StringVar(&s.under, "under", "", "run the matrix in a lane instead of this process: `LANE` is "+strings.Join(lane.Names, " or "))
	fs.StringVar(&s.kernel, "kernel", "", "with -under qemu: the Linux kernel image (`VMLINUZ`) to boot")
}

func (s *source) observation(stderr io.Writer) (*matrix.Observation, error) {
	filter, err := matrix.ParseFilter(s.only)
	if err != nil {
		return nil, usageErrorf("-only: %v", err)
	}
	if s.observed != "" && (s.under != "" || s.kernel != "") {
		return nil, usageErrorf("-observed reads a file; -under and -kernel run the matrix: give one or the other")
	}
	if s.parallel < 0 {
		return nil, usageErrorf("-parallel %d: give a count of cells, or 0 for GOMAXPROCS", s.parallel)
	}
	if s.observed != "" {
		data, err := os.ReadFile(s.observed)
		if err != nil {
			return nil, &matrix.InputError{File: s.observed, Msg: err.Error()}
		}
		obs, err := matrix.DecodeObservation(s.observed, data)
		if err != nil {
			return nil, err
		}
		var kept []matrix.Result
		for _, r := range obs.Cells {
			if filter.MatchResult(r) {
				kept = append(kept, r)
			}
		}
		if len(kept) == 0 {
			return nil, usageErrorf("-only %q keeps none of the %d cells in %s", s.only, len(obs.Cells), s.observed)
		}
		obs.Cells = kept
		return obs, nil
	}
	if s.under != "" {
		return lane.Run(lane.Config{Under: s.under, Kernel: s.kernel, Only: s.only, Parallel: s.parallel, Log: stderr, Verbose: s.verbose})
	}
	if s.kernel != "" {
		return nil, usageErrorf("-kernel needs -under qemu")
	}
	cells := filter.CellsOn(scenarios.ThisPlatform().Name)
	if len(cells) == 0 {
		return nil, usageErrorf("-only %q selects no cells", s.only)
	}
	opt := scenarios.Options{Parallel: s.parallel}
	if s.verbose {
		opt.Progress = func(done, total int) {
			if done == total || done%16 == 0 {
				fmt.Fprintf(stderr, "\r%d/%d cells", done, total)
			}
			if done == total {
				fmt.Fprintln(stderr)
			}
		}
	}
	obs := scenarios.Run(cells, opt)
	if _, named := filter["delivery"]; named {
		obs.Cells = slices.DeleteFunc(obs.Cells, func(r matrix.Result) bool { return !filter.MatchResult(r) })
	}
	return obs, nil
}

// tables says where expected tables come from: a directory, or the copy
// built into the binary.
type tables struct{ dir string }

func (t *tables) register(fs *flag.FlagSet) {
	fs.StringVar(&t.dir, "expected", "", "read expected tables from `DIR` (default: the copy of "+matrix.ExpectedDir+" built into bindmatrix)")
}

func (t *tables) load(platform string) (*matrix.Table, error) {
	if t.dir == "" {
		return matrix.LoadTable(matrix.BuiltinTables(), matrix.ExpectedDir, platform)
	}
	return matrix.LoadTable(os.DirFS(t.dir), t.dir, platform)
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
func cmdVerdict(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlags("", "Run the matrix here, compare with this platform's expected table, print the verdict.", stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "%s\nFlags of bindmatrix without a command:\n", usage)
		fs.PrintDefaults()
	}
	var src source
	var tab tables
	src.register(fs, false)
	tab.register(fs)
	if err := parse(fs, args); err != nil {
		return exitBadInput, err
	}
	return compare(&src, &tab, "text", stdout, stderr)
}

func cmdRun(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlags("run", "Run the matrix here and print what every cell did.", stderr)
	var src source
	asJSON := fs.Bool("json", false, "print the observation document (JSON, schema 1) instead of text")
	src.register(fs, false)
	if err := parse(fs, args); err != nil {
		return exitBadInput, err
	}
	obs, err := src.observation(stderr)
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

func cmdCheck(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlags("check", "Compare an observation (a file, or a fresh run here) with the expected table of its platform.", stderr)
	var src source
	var tab tables
	src.register(fs, true)
	tab.register(fs)
	format := fs.String("format", "text", "render the comparison as `FORMAT`: "+strings.Join(report.Formats, ", "))
	if err := parse(fs, args); err != nil {
		return exitBadInput, err
	}
	return compare(&src, &tab, *format, stdout, stderr)
}

func compare(src *source, tab *tables, format string, stdout, stderr io.Writer) (int, error) {
	r, err := report.New(format)
	if err != nil {
		return exitBadInput, usageErrorf("-format: %v", err)
	}
	obs, err := src.observation(stderr)
	if err != nil {
		return exitBadInput, err
	}
	table, err := tab.load(obs.Platform.Name)
	if err != nil {
		return exitBadInput, err
	}
	c := matrix.Compare(table, obs)
	if err := r.Comparison(stdout, c); err != nil {
		return exitBadInput, err
	}
	return exitCode(c.Verdict()), nil
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

func cmdReport(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlags("report", "Render an observation file, or its comparison with the expected table (-compare).", stderr)
	var tab tables
	observed := fs.String("observed", "", "the observation `FILE` to render (required)")
	format := fs.String("format", "text", "`FORMAT`: "+strings.Join(report.Formats, ", "))
	against := fs.Bool("compare", false, "render the comparison with the expected table, not the bare observation")
	tab.register(fs)
	if err := parse(fs, args); err != nil {
		return exitBadInput, err
	}
	if *observed == "" {
		return exitBadInput, usageErrorf("report needs -observed FILE")
	}
	r, err := report.New(*format)
	if err != nil {
		return exitBadInput, usageErrorf("-format: %v", err)
	}
	src := source{observed: *observed}
	if *against {
		return compare(&src, &tab, *format, stdout, stderr)
	}
	obs, err := src.observation(stderr)
	if err != nil {
		return exitBadInput, err
	}
	return exitAgree, r.Observation(stdout, obs)
}

func cmdAccept(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlags("accept", "Write an observation (a file, or a fresh run here) into its platform's expected table,\nkeeping the table's comments. Review the diff before committing.", stderr)
	var src source
	src.register(fs, true)
	dir := fs.String("expected", matrix.ExpectedDir, "the expected tables' `DIR` to write into")
	if err := parse(fs, args); err != nil {
		return exitBadInput, err
	}
	if st, err := os.Stat(*dir); err != nil || !st.IsDir() {
		return exitBadInput, usageErrorf("no directory %s here: run from the repository root or pass -expected DIR", *dir)
	}
	obs, err := src.observation(stderr)
	if err != nil {
		return exitBadInput, err
	}
	name := obs.Platform.Name
	file := filepath.Join(*dir, name+".txt")
	table, err := matrix.ReadTable(os.DirFS(*dir), *dir, name)
	if errors.Is(err, matrix.ErrNoTable) {
		table, err = matrix.NewTable(file, name), nil
	}
	if err != nil {
		return exitBadInput, err
	}
	prov := observedProvenance(obs.Platform)
	if all := len(matrix.AllCellsOn(name)); len(obs.Cells) < all {
		prov += fmt.Sprintf(" (%d of %d cells)", len(obs.Cells), all)
	}
	unaccepted := table.Accept(obs, matrix.Provenance{Kind: "observed", Text: prov})
	var holes []string
	kept, outside := 0, 0
	for _, r := range unaccepted {
		_, had := table.Entries[r.Cell]
		switch {
		case !table.Covers(r.Cell):
			outside++
		case !had:
			holes = append(holes, fmt.Sprintf("  %s: %s", r.Cell, r.Note))
		default:
			kept++
		}
	}
	if len(holes) > 0 {
		return exitIncomplete, fmt.Errorf("not writing %s: %d unreached cells have no expectation yet:\n%s",
			file, len(holes), strings.Join(holes, "\n"))
	}
	if err := writeFileAtomic(file, table.Format()); err != nil {
		return exitBadInput, err
	}
	fmt.Fprintf(stdout, "wrote %s: %d cells from %s", file, len(obs.Cells)-len(unaccepted), platformName(obs.Platform))
	if kept > 0 {
		fmt.Fprintf(stdout, "; %d unreached cells kept their old expectation", kept)
	}
	if outside > 0 {
		fmt.Fprintf(stdout, "; %d cells outside the table's scope (%s) left out: remove its scope line to take them", outside, table.Scope)
	}
	fmt.Fprintln(stdout)
	return exitAgree, nil
}

func platformName(p matrix.Platform) string {
	return fmt.Sprintf("%s %s %s", p.Name, p.Kernel, p.GOARCH)
}

func observedProvenance(p matrix.Platform) string {
	return fmt.Sprintf("%s kernel %s %s/%s %s %s", p.Name, p.Kernel, p.GOOS, p.GOARCH, p.Go, time.Now().UTC().Format("2006-01-02"))
}

// writeFileAtomic replaces file only once the new content is complete, so a
// failed write never leaves a half table behind. The file keeps its mode
// (0644 when new): a temporary file is created private.
func writeFileAtomic(file string, data []byte) error {
	mode := os.FileMode(0o644)
	if st, err := os.Stat(file); err == nil {
		mode = st.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".bindmatrix-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), file)
}
