package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bindmatrix/bindmatrix/internal/runtimes"
	"github.com/bindmatrix/bindmatrix/internal/testenv"
	"github.com/bindmatrix/bindmatrix/matrix"
	"github.com/bindmatrix/bindmatrix/report"
)

// TestDocsAreFresh: the checked-in bind table (its summary and every
// platform's page) and the runtime table are what the generator writes
// now, and the page directory holds no page it would not write.
func TestDocsAreFresh(t *testing.T) {
	t.Chdir("../..")
	pages, runtimeTable, err := generateDocs(matrix.ExpectedDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if problems := staleDocs(DocsDir, pages, runtimes.TableFile, runtimeTable); len(problems) > 0 {
		t.Errorf("the generated docs are not what the generator writes now:\n\t%s\nregenerate them with: go run ./cmd/bindmatrix docs",
			strings.Join(problems, "\n\t"))
	}
}

// TestStaleDocsAreNamed: a stale, a missing and an extra page are each
// named, and fresh pages are not.
func TestStaleDocsAreNamed(t *testing.T) {
	dir := testenv.TempDir(t) // Go's cleanup cannot delete under Wine (testing.md)
	pages := []report.Page{
		{Path: report.BindTableFile, Data: []byte("summary\n")},
		{Path: report.BindTableDir + "/linux.md", Data: []byte("linux\n")},
		{Path: report.BindTableDir + "/windows.md", Data: []byte("windows\n")},
	}
	runtimeFile := filepath.Join(dir, "runtime-table.md")
	if err := writePages(dir, pages, new(strings.Builder)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(runtimeFile, []byte("runtimes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if problems := staleDocs(dir, pages, runtimeFile, []byte("runtimes\n")); len(problems) > 0 {
		t.Fatalf("fresh pages reported: %q", problems)
	}
	page := func(name string) string { return filepath.Join(dir, report.BindTableDir, name) }
	for file, data := range map[string]string{page("linux.md"): "old linux\n", page("gone.md"): "gone\n"} {
		if err := os.WriteFile(file, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Remove(page("windows.md")); err != nil {
		t.Fatal(err)
	}
	got := staleDocs(dir, pages, runtimeFile, []byte("runtimes now\n"))
	want := []string{
		page("linux.md") + " is stale",
		page("windows.md") + " is missing",
		runtimeFile + " is stale",
		page("gone.md") + " is not generated",
	}
	if !slices.Equal(got, want) {
		t.Errorf("staleDocs =\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}
