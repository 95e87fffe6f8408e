package matrix

import (
	"io/fs"
	"testing/fstest"
)

// mapFS builds an in-memory file system from names and contents.
type mapFS map[string]string

func (m mapFS) Open(name string) (fs.File, error) {
	fsys := fstest.MapFS{}
	for n, s := range m {
		fsys[n] = &fstest.MapFile{Data: []byte(s)}
	}
	return fsys.Open(name)
}
