package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// The one cancellation path: main makes one context that SIGINT or SIGTERM
// cancels, every command runs under it, and each piece of blocking work
// ends when it is cancelled by closing its descriptors or killing its
// processes (helpers, audited servers, Wine's process group and server,
// QEMU, go build). The command then returns, having removed what it made,
// and run maps the signal to the exit code. A second signal ends the
// process at once.

// interrupted is the cause the context is cancelled with: which signal
// arrived.
type interrupted struct{ sig os.Signal }

func (e interrupted) Error() string { return fmt.Sprintf("interrupted (%v)", e.sig) }

// interruptible returns the context a signal cancels, and the function
// that stops watching for signals.
func interruptible(stderr io.Writer) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			fmt.Fprintf(stderr, "\nbindmatrix: %v: stopping what this command started (a second signal ends it at once)\n", s)
			cancel(interrupted{s})
		case <-done:
			return
		}
		select {
		case s := <-sigs:
			fmt.Fprintf(stderr, "bindmatrix: %v again: exiting now\n", s)
			os.Exit(exitSignalled(s))
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel(nil)
	}
}

// signalled says whether ctx was cancelled by a signal, and which.
func signalled(ctx context.Context) (os.Signal, bool) {
	var i interrupted
	if errors.As(context.Cause(ctx), &i) {
		return i.sig, true
	}
	return nil, false
}

// exitSignalled is the exit code after sig: 128 + its number, as shells
// report a process a signal ended (130 after SIGINT, 143 after SIGTERM).
func exitSignalled(sig os.Signal) int {
	if n, ok := signalNumber(sig); ok {
		return 128 + n
	}
	return exitInterrupted
}
