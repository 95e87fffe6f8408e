package lane

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"time"
)

// With Config.Verbose the lane's binary runs with -v and its counter of
// cells done ("\r120/2368 cells") is passed on to Config.Log, so a slow lane
// shows it is moving without a wall of text.

var progressLine = regexp.MustCompile(`(\d+)/(\d+) cells`)

// progress passes on the newest counter found in text, once per change.
type progress struct {
	w    io.Writer
	last string
}

func (p *progress) see(text []byte) {
	if p == nil {
		return
	}
	all := progressLine.FindAll(text, -1)
	if len(all) == 0 {
		return
	}
	if latest := string(all[len(all)-1]); latest != p.last {
		p.last = latest
		fmt.Fprintf(p.w, "\r%s", latest)
	}
}

// done ends the counter's line.
func (p *progress) done() {
	if p != nil && p.last != "" {
		fmt.Fprintln(p.w)
	}
}

func newProgress(cfg Config) *progress {
	if !cfg.Verbose {
		return nil
	}
	return &progress{w: cfg.Log}
}

// tail passes on the counter from a file another process writes, until
// stop is closed.
func (p *progress) tail(file string, stop <-chan struct{}) {
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
