package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bindmatrix/bindmatrix/internal/atomicfile"
	"github.com/bindmatrix/bindmatrix/internal/model"
	"github.com/bindmatrix/bindmatrix/internal/runtimes"
	"github.com/bindmatrix/bindmatrix/matrix"
	"github.com/bindmatrix/bindmatrix/report"
)

// DocsDir is where the generated docs go, relative to the repository root:
// the bind table's summary (report.BindTableFile) and its platform pages
// (report.BindTableDir), beside the hand-written pages.
const DocsDir = "docs"

// files collects a repeatable flag.
type files []string

func (f *files) String() string     { return strings.Join(*f, ",") }
func (f *files) Set(v string) error { *f = append(*f, v); return nil }

func cmdDocs(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlags("docs", "Regenerate the bind table from the expected tables (and any observations given): "+
		path.Join(DocsDir, report.BindTableFile)+",\na summary across platforms, and "+
		path.Join(DocsDir, report.BindTableDir, "PLATFORM.md")+", each platform's grids; and "+
		runtimes.TableFile+"\nfrom the reference servers' audits in "+runtimes.ObservedDir+".", stderr)
	dir := fs.String("expected", matrix.ExpectedDir, "read every expected table in `DIR`")
	out := fs.String("o", DocsDir, "write the bind table's pages into `DIR` (- for standard output, one page after another)")
	runtimeOut := fs.String("runtimes", runtimes.TableFile, "write the runtime table to `FILE` (- for standard output)")
	var observed files
	fs.Var(&observed, "observed", "add the observation in `FILE` as a column of the bind table; repeat for more")
	if err := parse(fs, args); err != nil {
		return exitBadInput, err
	}
	if *out == "-" && *runtimeOut == "-" {
		return exitBadInput, usageErrorf("-o - and -runtimes -: one table at a time on standard output")
	}
	if *out != "-" && strings.HasSuffix(*out, ".md") {
		return exitBadInput, usageErrorf("-o %s: -o takes a directory, where %s and %s/ go", *out, report.BindTableFile, report.BindTableDir)
	}
	pages, runtimeTable, err := generateDocs(*dir, observed)
	if err != nil {
		return exitBadInput, err
	}
	// With a table on standard output, what is written says so on stderr.
	status := stdout
	if *out == "-" || *runtimeOut == "-" {
		status = stderr
	}
	if *out == "-" {
		for _, page := range pages {
			if _, err := stdout.Write(page.Data); err != nil {
				return exitBadInput, err
			}
		}
	} else if err := writePages(*out, pages, status); err != nil {
		return exitBadInput, err
	}
	if err := writeDoc(*runtimeOut, runtimeTable, stdout, status); err != nil {
		return exitBadInput, err
	}
	return exitAgree, nil
}

// generateDocs renders the bind table's pages from the expected tables in
// dir and the observation files, and the runtime table from runtimes/.
func generateDocs(dir string, observed []string) ([]report.Page, []byte, error) {
	cols, err := docColumns(dir, observed)
	if err != nil {
		return nil, nil, err
	}
	pages, err := report.BindTable(cols)
	if err != nil {
		return nil, nil, err
	}
	kernels, err := kernelOverrides(dir)
	if err != nil {
		return nil, nil, err
	}
	pages = append(pages, report.KernelsPage(kernels))
	var runtimeTable bytes.Buffer
	if err := writeRuntimeTable(&runtimeTable, dir); err != nil {
		return nil, nil, err
	}
	return pages, runtimeTable.Bytes(), nil
}

// writePages writes the bind table's pages into dir, each unless it is up
// to date, and removes pages of platforms that are gone: the page
// directory holds generated pages only.
func writePages(dir string, pages []report.Page, status io.Writer) error {
	for _, page := range pages {
		if err := writeDoc(filepath.Join(dir, filepath.FromSlash(page.Path)), page.Data, nil, status); err != nil {
			return err
		}
	}
	for _, file := range extraPages(dir, pages) {
		if err := os.Remove(file); err != nil {
			return err
		}
		fmt.Fprintf(status, "removed %s\n", file)
	}
	return nil
}

// extraPages lists the Markdown files in dir's page directory that are not
// among pages.
func extraPages(dir string, pages []report.Page) []string {
	want := map[string]bool{}
	for _, page := range pages {
		want[filepath.Join(dir, filepath.FromSlash(page.Path))] = true
	}
	entries, _ := os.ReadDir(filepath.Join(dir, report.BindTableDir)) // none yet: nothing extra
	var extra []string
	for _, e := range entries {
		file := filepath.Join(dir, report.BindTableDir, e.Name())
		if !e.IsDir() && strings.HasSuffix(file, ".md") && !want[file] {
			extra = append(extra, file)
		}
	}
	return extra
}

// staleDocs compares the generated documents with the files under dir and
// at runtimeFile, and says what differs: a page or table that is stale or
// missing, or a file in the page directory that is not generated.
func staleDocs(dir string, pages []report.Page, runtimeFile string, runtimeTable []byte) []string {
	var problems []string
	check := func(file string, data []byte) {
		old, err := os.ReadFile(file)
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("%s is missing", file))
		case !bytes.Equal(old, data):
			problems = append(problems, fmt.Sprintf("%s is stale", file))
		}
	}
	for _, page := range pages {
		check(filepath.Join(dir, filepath.FromSlash(page.Path)), page.Data)
	}
	check(runtimeFile, runtimeTable)
	for _, file := range extraPages(dir, pages) {
		problems = append(problems, fmt.Sprintf("%s is not generated", file))
	}
	return problems
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
func writeRuntimeTable(w io.Writer, expectedDir string) error {
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
	if data, err = read(runtimes.DaemonsFile); err != nil {
		return err
	}
	daemons, err := runtimes.ParseDaemons(runtimes.DaemonsFile, data, servers)
	if err != nil {
		return err
	}
	rows, err := runtimes.LoadRows(runtimes.ObservedDir, servers)
	if err != nil {
		return err
	}
	windows, err := matrix.LoadTable(os.DirFS(expectedDir), expectedDir, "windows")
	if err != nil {
		return err
	}
	for i := range rows {
		if note, ok := daemons[rows[i].Name]; ok {
			rows[i].Daemon = &note
		}
		rows[i].Documented = documentedCells(rows[i], claims, windows)
	}
	return report.RuntimeTable(w, rows, claims, fixes)
}

// documentedCells fills the Windows cell of a server not audited there
// from the documented expected table, where the runtime's source says
// what it sets on Windows; or with the reason daemons.txt gives.
func documentedCells(r report.RuntimeRow, claims []report.RuntimeClaim, windows *matrix.Table) map[string]string {
	i := slices.IndexFunc(claims, func(c report.RuntimeClaim) bool { return c.Server == r.Name && c.OS == "windows" })
	switch {
	case i >= 0:
		if cell := report.DocumentedCell(windows, claims[i].Sets, r.Audits["linux"]); cell != "" {
			return map[string]string{"windows": cell}
		}
	case r.Daemon != nil && r.Daemon.Windows != "":
		return map[string]string{"windows": r.Daemon.Windows}
	}
	return nil
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

// kernelOverrides reads the kernels' override tables in dir, each beside
// the table it overrides, with what the model's documents say of the
// deviations it names.
func kernelOverrides(dir string) ([]report.Override, error) {
	fsys := os.DirFS(dir)
	tables, err := matrix.Overrides(fsys, dir)
	if err != nil {
		return nil, err
	}
	var out []report.Override
	for _, t := range tables {
		base, err := matrix.LoadTable(fsys, dir, t.Platform)
		if err != nil {
			return nil, err
		}
		if _, err := base.Overlay(t); err != nil {
			return nil, err
		}
		o := report.Override{Base: base, Table: t, Deviations: map[string]string{}}
		for _, name := range t.Deviations {
			d, ok := model.DeviationNamed(name)
			if !ok {
				return nil, fmt.Errorf("%s: deviation %q is not one internal/model documents", t.File, name)
			}
			o.Deviations[name] = fmt.Sprintf("`bindmatrix try '%s'` answers %s on these kernels (%s); fix: %s; evidence: %s", d.Arrangement, d.Buggy, d.Kernels, d.Fix, d.Evidence)
		}
		out = append(out, o)
	}
	return out, nil
}
