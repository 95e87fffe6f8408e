package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/bindmatrix/bindmatrix/internal/atomicfile"
	"github.com/bindmatrix/bindmatrix/internal/runtimes"
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
	fs := newFlags("docs", "Regenerate "+DocsFile+" from the expected tables (and any observations given), and\n"+
		runtimes.TableFile+" from the reference servers' audits in "+runtimes.ObservedDir+".", stderr)
	dir := fs.String("expected", matrix.ExpectedDir, "read every expected table in `DIR`")
	out := fs.String("o", DocsFile, "write the bind table to `FILE` (- for standard output)")
	runtimeOut := fs.String("runtimes", runtimes.TableFile, "write the runtime table to `FILE` (- for standard output)")
	var observed files
	fs.Var(&observed, "observed", "add the observation in `FILE` as a column of the bind table; repeat for more")
	if err := parse(fs, args); err != nil {
		return exitBadInput, err
	}
	if *out == "-" && *runtimeOut == "-" {
		return exitBadInput, usageErrorf("-o - and -runtimes -: one table at a time on standard output")
	}
	cols, err := docColumns(*dir, observed)
	if err != nil {
		return exitBadInput, err
	}
	var bind bytes.Buffer
	if err := report.BindTable(&bind, cols); err != nil {
		return exitBadInput, err
	}
	var runtimeTable bytes.Buffer
	if err := writeRuntimeTable(&runtimeTable); err != nil {
		return exitBadInput, err
	}
	// With a table on standard output, what is written says so on stderr.
	status := stdout
	if *out == "-" || *runtimeOut == "-" {
		status = stderr
	}
	for _, doc := range []struct {
		file string
		data []byte
	}{{*out, bind.Bytes()}, {*runtimeOut, runtimeTable.Bytes()}} {
		if err := writeDoc(doc.file, doc.data, stdout, status); err != nil {
			return exitBadInput, err
		}
	}
	return exitAgree, nil
}

// writeDoc writes a generated document unless it is up to date; "-" is
// standard output. status hears what was done.
func writeDoc(file string, data []byte, stdout, status io.Writer) error {
	if file == "-" {
		_, err := stdout.Write(data)
		return err
	}
	if old, err := os.ReadFile(file); err == nil && bytes.Equal(old, data) {
		fmt.Fprintf(status, "%s is up to date\n", file)
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(file, data, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(status, "wrote %s\n", file)
	return nil
}

// writeRuntimeTable renders the runtime table from runtimes/.
func writeRuntimeTable(w io.Writer) error {
	read := func(file string) ([]byte, error) {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, usageErrorf("no %s here: run from the repository root (%v)", file, err)
		}
		return data, nil
	}
	data, err := read(runtimes.ManifestFile)
	if err != nil {
		return err
	}
	servers, err := runtimes.ParseManifest(runtimes.ManifestFile, data)
	if err != nil {
		return err
	}
	if data, err = read(runtimes.DefaultsFile); err != nil {
		return err
	}
	claims, err := runtimes.ParseDefaults(runtimes.DefaultsFile, data, servers)
	if err != nil {
		return err
	}
	if data, err = read(runtimes.FixesFile); err != nil {
		return err
	}
	fixes, err := runtimes.ParseFixes(runtimes.FixesFile, data)
	if err != nil {
		return err
	}
	rows, err := runtimes.LoadRows(runtimes.ObservedDir, servers)
	if err != nil {
		return err
	}
	return report.RuntimeTable(w, rows, claims, fixes)
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
		obs, err := ReadFile(file)
		if err != nil {
			return nil, err
		}
		cols = append(cols, report.ObservationColumn(obs))
	}
	report.SortColumns(cols)
	return cols, nil
}
