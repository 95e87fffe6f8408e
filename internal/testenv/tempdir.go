package testenv

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
)

// TempDir is t.TempDir with a clean-up that also works under Wine: Go's
// os.RemoveAll on Windows deletes through FileDispositionInformationEx,
// which Wine 8.0 answers with STATUS_NOT_IMPLEMENTED, a status Go does not
// fall back from ("unlinkat ...: Incorrect function"), so every test that
// used t.TempDir would fail in its clean-up when the suite runs as Windows
// code. Where RemoveAll fails, the directory is removed entry by entry with
// os.Remove, which Wine implements.
func TempDir(t testing.TB) string {
	t.Helper()
	pattern := regexp.MustCompile(`[^A-Za-z0-9_-]+`).ReplaceAllString(t.Name(), "_")
	dir, err := os.MkdirTemp("", pattern+"-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := RemoveTree(dir); err != nil {
			t.Errorf("removing the test's temporary directory: %v", err)
		}
	})
	return dir
}

// RemoveTree is os.RemoveAll, falling back to removing entry by entry
// where RemoveAll cannot delete (Wine, see TempDir).
func RemoveTree(dir string) error {
	if os.RemoveAll(dir) == nil {
		return nil
	}
	return removeEntries(dir)
}

func removeEntries(dir string) error {
	var paths []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		paths = append(paths, path)
		return nil
	})
	if err != nil {
		return err
	}
	// Deepest first: a directory's entries go before it.
	for _, p := range slices.Backward(paths) {
		if err := os.Remove(p); err != nil {
			return err
		}
	}
	return nil
}
