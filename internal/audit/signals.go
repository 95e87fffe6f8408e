//go:build !plan9

package audit

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// stopWithSignals runs stop when the audit is interrupted (SIGINT, SIGTERM)
// and then exits, so that no server it started outlives it. The returned
// function ends the watch.
func stopWithSignals(stop func()) (done func()) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	finished := make(chan struct{})
	go func() {
		select {
		case sig := <-sigs:
			stop()
			fmt.Fprintf(os.Stderr, "bindmatrix audit: %v: stopped the servers it started\n", sig)
			code := 1
			if s, ok := sig.(syscall.Signal); ok {
				code = 128 + int(s)
			}
			os.Exit(code)
		case <-finished:
		}
	}()
	return func() { signal.Stop(sigs); close(finished) }
}
