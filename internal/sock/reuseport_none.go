//go:build unix && !(aix || darwin || dragonfly || freebsd || linux || netbsd || openbsd)

package sock

// reusePort: x/sys defines no SO_REUSEPORT here (Solaris, illumos), so the
// option cannot be set and its cells are unsupported.
func reusePort() (name int, exists bool) { return 0, false }
