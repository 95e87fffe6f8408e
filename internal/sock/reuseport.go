//go:build aix || darwin || dragonfly || freebsd || linux || netbsd || openbsd

package sock

import "golang.org/x/sys/unix"

// reusePort is SO_REUSEPORT: Linux (since 3.9), macOS and the BSDs.
func reusePort() (name int, exists bool) { return unix.SO_REUSEPORT, true }
