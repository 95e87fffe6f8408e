package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/bindmatrix/bindmatrix/internal/atomicfile"
	"github.com/bindmatrix/bindmatrix/internal/gather"
	"github.com/bindmatrix/bindmatrix/matrix"
	"github.com/bindmatrix/bindmatrix/report"
)

// DocsFile is the generated bind table, relative to the repository root.
const DocsFile = "docs/bind-table.md"

// files collects a repeatable flag.
type files []string

func (f *files) String() string     { return strings.Join(*f, ",") }
func (f *files) Set(v string) error { *f = append(*f, v); return nil }

func cmdDocs(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlags("docs", "Regenerate "+DocsFile+" from the expected tables and any observations given.", stderr)
	dir := fs.String("expected", matrix.ExpectedDir, "read every expected table in `DIR`")
	out := fs.String("o", DocsFile, "write the table to `FILE` (- for standard output)")
	var observed files
	fs.Var(&observed, "observed", "add the observation in `FILE` as a column; repeat for more")
	if err := parse(fs, args); err != nil {
		return exitBadInput, err
	}
	cols, err := docColumns(*dir, observed)
	if err != nil {
		return exitBadInput, err
	}
	var b bytes.Buffer
	if err := report.BindTable(&b, cols); err != nil {
		return exitBadInput, err
	}
	if *out == "-" {
		_, err := stdout.Write(b.Bytes())
		return exitAgree, err
	}
	if old, err := os.ReadFile(*out); err == nil && bytes.Equal(old, b.Bytes()) {
		fmt.Fprintf(stdout, "%s is up to date\n", *out)
		return exitAgree, nil
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		return exitBadInput, err
	}
	if err := atomicfile.WriteFile(*out, b.Bytes(), 0o644); err != nil {
		return exitBadInput, err
	}
	fmt.Fprintf(stdout, "wrote %s: %d platforms\n", *out, len(cols))
	return exitAgree, nil
}

// docColumns loads every expected table in dir and every observation file.
func docColumns(dir string, observed []string) ([]report.Column, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, usageErrorf("no expected tables in %s: run from the repository root or pass -expected DIR", dir)
	}
	var cols []report.Column
	for _, name := range names {
		platform := strings.TrimSuffix(filepath.Base(name), ".txt")
		t, err := matrix.LoadTable(os.DirFS(dir), dir, platform)
		if err != nil {
			return nil, err
		}
		cols = append(cols, report.TableColumn(t))
	}
	for _, file := range observed {
		obs, err := gather.ReadFile(file)
		if err != nil {
			return nil, err
		}
		cols = append(cols, report.ObservationColumn(obs))
	}
	report.SortColumns(cols)
	return cols, nil
}
