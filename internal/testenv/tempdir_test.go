package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// TestTempDirIsRemoved: the directory and what the test put in it are gone
// once the test ends, also where os.RemoveAll cannot delete (Wine).
func TestTempDirIsRemoved(t *testing.T) {
	var dir string
	t.Run("user", func(t *testing.T) {
		dir = TempDir(t)
		if err := os.MkdirAll(filepath.Join(dir, "a", "b"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "a", "b", "f"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	})
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s still there after the test: %v", dir, err)
	}
}

// TestRemoveTreeEntryByEntry: the fallback path alone removes a tree.
func TestRemoveTreeEntryByEntry(t *testing.T) {
	dir, err := os.MkdirTemp("", "removetree-")
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "x", "y"), 0o755)
	os.WriteFile(filepath.Join(dir, "x", "y", "z"), nil, 0o644)
	os.WriteFile(filepath.Join(dir, "w"), nil, 0o644)
	if err := removeEntries(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s still there: %v", dir, err)
	}
}
