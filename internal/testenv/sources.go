// Package testenv holds what the tests that build and run bindmatrix as a
// program (the command-line tests, the Wine and QEMU lanes) need from their
// surroundings: prerequisites that may be missing, and the source files
// go test cannot see them read. It is not used outside tests.
package testenv

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

var once sync.Once

// TrackSources tells go test which source files a test's result depends
// on: go test caches a result until a file the test process itself opened
// changes, and it cannot see what a child `go build` reads. TrackSources
// opens every Go file and expected table of the module rooted at root,
// once per process, so that a change to any of them invalidates cached
// results of the calling test binary.
func TrackSources(root string) {
	once.Do(func() {
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != root {
				return filepath.SkipDir
			}
			if strings.HasSuffix(path, ".go") || strings.HasSuffix(path, ".txt") || strings.HasSuffix(path, ".c") || d.Name() == "go.mod" {
				if f, err := os.Open(path); err == nil {
					f.Close()
				}
			}
			return nil
		})
	})
}
