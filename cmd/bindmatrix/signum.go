//go:build !plan9

package main

import (
	"os"
	"syscall"
)

// signalNumber is sig's number, where signals have numbers.
func signalNumber(sig os.Signal) (int, bool) {
	s, ok := sig.(syscall.Signal)
	return int(s), ok
}
