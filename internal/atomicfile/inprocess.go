package atomicfile

import (
	"path/filepath"
	"sync"
)

// held maps a lock file's absolute path to the mutex that keeps this
// process's goroutines apart on it.
var held sync.Map

func lockInProcess(file string) (release func()) {
	abs, err := filepath.Abs(file)
	if err != nil {
		abs = file
	}
	mu, _ := held.LoadOrStore(abs, new(sync.Mutex))
	mu.(*sync.Mutex).Lock()
	return mu.(*sync.Mutex).Unlock
}
