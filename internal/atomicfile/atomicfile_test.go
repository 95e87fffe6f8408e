package atomicfile

import (
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/bindmatrix/bindmatrix/internal/testenv"
)

// TestWriteFileReplacesAndKeepsMode: the new content replaces the old, the
// file keeps its mode, and no temporary file stays behind.
func TestWriteFileReplacesAndKeepsMode(t *testing.T) {
	dir := testenv.TempDir(t)
	file := filepath.Join(dir, "table.txt")
	if err := WriteFile(file, []byte("one\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(file, []byte("two\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(file)
	st, _ := os.Stat(file)
	if string(data) != "two\n" || runtime.GOOS != "windows" && st.Mode().Perm() != 0o600 {
		t.Errorf("content %q mode %v, want \"two\" and the first write's 0600", data, st.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("the directory holds %d files, want only the table", len(entries))
	}
	if err := WriteFile(filepath.Join(dir, "missing", "x"), []byte("x"), 0o644); err == nil {
		t.Error("a write into a missing directory succeeded")
	}
}

// TestLockExcludes: while one holder has the lock, nobody else gets it.
func TestLockExcludes(t *testing.T) {
	file := filepath.Join(testenv.TempDir(t), "lock")
	var mu sync.Mutex
	holders, most := 0, 0
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			unlock, err := Lock(file)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			holders++
			most = max(most, holders)
			mu.Unlock()
			runtime.Gosched()
			mu.Lock()
			holders--
			mu.Unlock()
			unlock()
		})
	}
	wg.Wait()
	if most != 1 {
		t.Errorf("%d holders at once", most)
	}
}
