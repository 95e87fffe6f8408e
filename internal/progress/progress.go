// Package progress is the counter of cells done that a run shows on stderr
// ("\r1200/2368 cells", rewritten in place), and its reader: a lane runs
// bindmatrix elsewhere with -v and passes the inner run's counter on. The
// format is defined here once for both sides.
package progress

import (
	"fmt"
	"io"
	"regexp"
)

// every is how often the counter is rewritten, in cells.
const every = 16

// Counter returns a progress function that writes the counter to w every
// few cells and ends its line after the last.
func Counter(w io.Writer) func(done, total int) {
	return func(done, total int) {
		if done == total || done%every == 0 {
			fmt.Fprintf(w, "\r%d/%d cells", done, total)
		}
		if done == total {
			fmt.Fprintln(w)
		}
	}
}

var counter = regexp.MustCompile(`(\d+)/(\d+) cells`)

// Latest is the newest counter in text, "1200/2368 cells", if any.
func Latest(text []byte) (string, bool) {
	all := counter.FindAll(text, -1)
	if len(all) == 0 {
		return "", false
	}
	return string(all[len(all)-1]), true
}
