package lane

import (
	"context"
	"errors"
	"sync"
	"time"
)

// errInterrupted is what a lane stopped by Interrupt returns.
var errInterrupted = errors.New("interrupted")

// stopped is the parent of every context a lane runs a process under:
// Interrupt cancels it, which kills those processes (Wine's whole process
// group, QEMU), and each lane then removes its temporary files as it
// returns.
var stopped, stopAll = context.WithCancel(context.Background())

// running counts the lanes under way, for Wait.
var running sync.WaitGroup

// Interrupt stops every lane of this process (on SIGINT or SIGTERM).
func Interrupt() { stopAll() }

// Wait waits up to timeout for the lanes to stop and clean up after
// Interrupt, and says whether they did.
func Wait(timeout time.Duration) bool {
	done := make(chan struct{})
	go func() { running.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(timeout):
		return false
	}
}
