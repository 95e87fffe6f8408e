package matrix

import (
	"embed"
	"io/fs"
)

//go:embed expected/*.txt expected/kernels/*.txt
var expected embed.FS

// ExpectedDir is where the checked-in tables live, relative to the
// repository root; the binary carries a copy so that it runs anywhere.
const ExpectedDir = "matrix/expected"

// BuiltinTables are the expected tables compiled into the binary.
func BuiltinTables() fs.FS {
	sub, err := fs.Sub(expected, "expected")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}
