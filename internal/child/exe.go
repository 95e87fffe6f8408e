package child

import (
	"os"
	"path/filepath"
	"sync"

	"github.com/bindmatrix/bindmatrix/internal/reexec"
)

// Another user may not be able to read a test binary in a private build
// directory, so that helper runs from a copy in a directory anyone can
// read, made when such a helper starts and removed as soon as the helpers
// starting at once have started: a running program needs no file.
var otherUserExe struct {
	mu    sync.Mutex
	path  string
	users int
}

func executableFor(u User) (string, error) {
	exe, err := reexec.Self()
	if err != nil || u == SameUser {
		return exe, err
	}
	otherUserExe.mu.Lock()
	defer otherUserExe.mu.Unlock()
	if otherUserExe.path == "" {
		dir, err := os.MkdirTemp(publicTempDir(), "bindmatrix-helper-")
		if err == nil {
			err = os.Chmod(dir, 0o755)
		}
		if err != nil {
			return "", err
		}
		path := filepath.Join(dir, filepath.Base(exe))
		if err := copyExecutable(exe, path); err != nil {
			os.RemoveAll(dir)
			return "", err
		}
		otherUserExe.path = path
	}
	otherUserExe.users++
	return otherUserExe.path, nil
}

// publicTempDir is the temporary directory if another user can reach
// into it (every directory on its path searchable by others), else /tmp:
// TMPDIR may lie in a private directory (a test's work directory).
func publicTempDir() string {
	dir := os.TempDir()
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return "/tmp"
		}
		if d == filepath.Dir(d) {
			return dir
		}
	}
}

// releaseExecutable says a helper of u has started from its executable
// (or failed to).
func releaseExecutable(u User) {
	if u == SameUser {
		return
	}
	otherUserExe.mu.Lock()
	defer otherUserExe.mu.Unlock()
	otherUserExe.users--
	if otherUserExe.users <= 0 && otherUserExe.path != "" {
		os.RemoveAll(filepath.Dir(otherUserExe.path))
		otherUserExe.path, otherUserExe.users = "", 0
	}
}

func copyExecutable(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, data, 0o755)
}
