package main

import (
	"os"
	"syscall"
)

// signalNumber gives Plan 9's notes the numbers the exit codes use
// elsewhere: 15 for a termination, 2 for an interrupt.
func signalNumber(sig os.Signal) (int, bool) {
	if sig == syscall.SIGTERM {
		return 15, true
	}
	return 2, sig == os.Interrupt
}
