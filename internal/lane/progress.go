package lane

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/bindmatrix/bindmatrix/internal/progress"
)

// With Config.Verbose the lane's binary runs with -v and its counter of
// cells done (package progress) is passed on to Config.Log, so a slow lane
// shows it is moving without a wall of text.

// counter passes on the newest counter found in text, once per change.
type counter struct {
	w    io.Writer
	last string
}

func (p *counter) see(text []byte) {
	if p == nil {
		return
	}
	if latest, ok := progress.Latest(text); ok && latest != p.last {
		p.last = latest
		fmt.Fprintf(p.w, "\r%s", latest)
	}
}

// done ends the counter's line.
func (p *counter) done() {
	if p != nil && p.last != "" {
		fmt.Fprintln(p.w)
	}
}

func newCounter(cfg Config) *counter {
	if !cfg.Verbose {
		return nil
	}
	return &counter{w: cfg.Log}
}

// tail passes on the counter from a file another process writes, until
// stop is closed.
func (p *counter) tail(file string, stop <-chan struct{}) {
	if p == nil {
		return
	}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
			if data, err := os.ReadFile(file); err == nil {
				p.see(data)
			}
		}
	}
}
