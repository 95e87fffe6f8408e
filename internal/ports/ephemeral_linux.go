package ports

import (
	"fmt"
	"os"
	"sync"
)

// ephemeralRange is the range the kernel picks local ports from
// (net.ipv4.ip_local_port_range), or its default when it cannot be read;
// read once per process.
var ephemeralRange = sync.OnceValues(readEphemeralRange)

func readEphemeralRange() (lo, hi uint16) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err == nil {
		if _, err := fmt.Sscan(string(b), &lo, &hi); err == nil && lo <= hi {
			return lo, hi
		}
	}
	return 32768, 60999
}

// kernelRange is the range the kernel picks local ports from.
func kernelRange() (lo, hi uint16) { return ephemeralRange() }
