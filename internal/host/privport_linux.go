package host

import (
	"os"
	"strconv"
	"strings"
)

// UnprivilegedPortStart is the lowest port a process without
// CAP_NET_BIND_SERVICE may bind, and where that comes from: Linux reads
// net.ipv4.ip_unprivileged_port_start (since 4.11; 1024 by default), and
// has no such bound for SO_REUSE* sharing but for this one.
func UnprivilegedPortStart() (int, string) {
	data, err := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start")
	if err != nil {
		return 1024, "net.ipv4.ip_unprivileged_port_start unreadable, taken as 1024, the kernel's default"
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || n < 0 || n > 65536 {
		return 1024, "net.ipv4.ip_unprivileged_port_start unreadable, taken as 1024, the kernel's default"
	}
	return n, "net.ipv4.ip_unprivileged_port_start"
}
