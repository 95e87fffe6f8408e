package host

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestUnprivilegedPortStartReadsTheSysctl: the threshold is this kernel's
// net.ipv4.ip_unprivileged_port_start, not an assumed 1024.
func TestUnprivilegedPortStartReadsTheSysctl(t *testing.T) {
	data, err := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start")
	if err != nil {
		t.Skipf("skipped: the sysctl cannot be read here (%v)", err)
	}
	want, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	if got, source := UnprivilegedPortStart(); got != want || source != "net.ipv4.ip_unprivileged_port_start" {
		t.Errorf("%d from %q, want %d from the sysctl", got, source, want)
	}
}
