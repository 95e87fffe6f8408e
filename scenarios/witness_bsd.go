//go:build darwin || freebsd

package scenarios

import (
	"fmt"
	"net/netip"
	"os/exec"
)

// witness reads the TCP table with `netstat -an -p tcp`, which lists
// TIME_WAIT entries (lsof does not: no descriptor owns them) and needs no
// privilege. It runs a process per question, milliseconds each; macOS's
// sysctl net.inet.tcp.pcblist_n would be faster but its record layout is
// private to the release.
type witness struct {
	netstat string
}

func newWitness() (*witness, error) {
	path, err := exec.LookPath("netstat")
	if err != nil {
		return nil, fmt.Errorf("netstat: %w", err)
	}
	return &witness{netstat: path}, nil
}

func (w *witness) close() {}

func (w *witness) name() string { return "netstat" }

func (w *witness) tcpState(local, remote netip.AddrPort) (tcpState, bool, error) {
	if w == nil {
		return 0, false, errNoWitness
	}
	out, err := exec.Command(w.netstat, "-an", "-p", "tcp").Output()
	if err != nil {
		return 0, false, fmt.Errorf("netstat -an -p tcp: %w", err)
	}
	return findNetstat(out, local, remote)
}

// forget cannot remove a TIME_WAIT entry here; the port book keeps the port
// out of later cells instead.
func (w *witness) forget(local, remote netip.AddrPort) error { return errNoWitness }
