//go:build !linux

package ports

import "runtime"

// ephemeralRange covers the ranges the kernels pick local ports from by
// default: Windows, macOS and OpenBSD 49152-65535, FreeBSD 10000-65535
// (net.inet.ip.portrange.first), and Linux's 32768-60999 under Wine, whose
// sockets are the host's. The ports below 10000 are outside every one.
func ephemeralRange() (lo, hi uint16) { return 10000, 65535 }

// kernelRange is the range this OS picks local ports from by default, not
// widened: what makes a port a client's. FreeBSD starts at 10000
// (net.inet.ip.portrange.first); Windows, macOS and OpenBSD use the IANA
// range. Under Wine the host's Linux picks, from a range that overlaps.
func kernelRange() (lo, hi uint16) {
	if runtime.GOOS == "freebsd" {
		return 10000, 65535
	}
	return 49152, 65535
}
