//go:build !linux

package ports

// ephemeralRange covers the ranges the kernels pick local ports from by
// default: Windows, macOS and OpenBSD 49152-65535, FreeBSD 10000-65535
// (net.inet.ip.portrange.first), and Linux's 32768-60999 under Wine, whose
// sockets are the host's. The ports below 10000 are outside every one.
func ephemeralRange() (lo, hi uint16) { return 10000, 65535 }
