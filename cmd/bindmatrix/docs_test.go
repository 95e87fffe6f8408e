package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDocsBindTableIsUpToDate: the checked-in table is what the generator
// writes now, so a table edit cannot land without its docs.
func TestDocsBindTableIsUpToDate(t *testing.T) {
	root := repoRoot(t)
	r := bindmatrix(t, root, "docs", "-o", "-")
	r.want(t, exitAgree, "# The bind table", "")
	checkedIn, err := os.ReadFile(filepath.Join(root, DocsFile))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(checkedIn), r.stdout); diff != "" {
		t.Errorf("%s is stale; regenerate it with: go run ./cmd/bindmatrix docs\n(-checked in +generated):\n%s", DocsFile, diff)
	}
}

func TestDocsCoversEveryPlatformAndObservations(t *testing.T) {
	root := repoRoot(t)
	file := observe(t, "-only", "state=bound")
	r := bindmatrix(t, root, "docs", "-o", "-", "-observed", file)
	for _, want := range []string{"## linux\n", "## windows\n", "## darwin\n", "## freebsd\n", "## wine\n", "## linux (observed "} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("docs lack the section %q", strings.TrimSpace(want))
		}
	}
	// A cell the observation did not run reads "-", never a made-up value.
	if !strings.Contains(r.stdout, "| **≠** | none | none | EADDRINUSE | - |") {
		t.Errorf("the partial observation's unrun cells are not shown as -")
	}
	out := filepath.Join(t.TempDir(), "bind-table.md")
	bindmatrix(t, root, "docs", "-o", out).want(t, exitAgree, "wrote", "")
	bindmatrix(t, root, "docs", "-o", out).want(t, exitAgree, "up to date", "")
	bindmatrix(t, t.TempDir(), "docs").want(t, exitBadInput, "", "no expected tables")
}
