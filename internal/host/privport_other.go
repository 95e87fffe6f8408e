//go:build !linux

package host

import "runtime"

// UnprivilegedPortStart is the lowest port a process without privilege
// may bind, and where that comes from. Windows has no privileged ports;
// elsewhere 1024 is the BSD tradition (FreeBSD's
// net.inet.ip.portrange.reservedhigh is 1023 by default; macOS lets any
// user bind low ports since 10.14), not read from this machine.
func UnprivilegedPortStart() (int, string) {
	switch runtime.GOOS {
	case "windows":
		return 0, "Windows has no privileged ports"
	case "darwin", "ios":
		return 0, "macOS 10.14 and later let any user bind low ports (reported, not read here)"
	}
	return 1024, "1024, the BSD default (not read from this machine)"
}
