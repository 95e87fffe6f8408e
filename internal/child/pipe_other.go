//go:build !unix

package child

import "os"

// blockingPipe is os.Pipe, whose ends block already where there is no
// Unix (Windows' anonymous pipes are synchronous).
func blockingPipe() (r, w *os.File, err error) { return os.Pipe() }
