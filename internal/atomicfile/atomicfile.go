// Package atomicfile writes files so that a reader sees the old content or
// the new, never a half-written file, even if the writer is killed or the
// machine loses power; and it locks a file against a second writer.
package atomicfile

import (
	"os"
	"path/filepath"
)

// WriteFile replaces file with data: it writes a temporary file beside it,
// syncs it to disk, renames it over file and syncs the directory. The file
// keeps its mode (mode when new). A failure leaves file as it was and no
// temporary file behind, unless the process dies between write and rename:
// then a ".NAME-*.tmp" file may remain, which nothing reads.
func WriteFile(file string, data []byte, mode os.FileMode) error {
	if st, err := os.Stat(file); err == nil {
		mode = st.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+"-*.tmp")
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(mode); err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return err
	}
	done = true
	return syncDir(filepath.Dir(file))
}
