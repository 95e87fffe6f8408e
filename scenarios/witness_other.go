//go:build !linux && !windows && !darwin && !freebsd

package scenarios

import "net/netip"

// witness has no way yet to read the TCP table on this OS: states that need
// it are reported unreached, never assumed.
type witness struct{}

const witnessName = "none"

func (w *witness) name() string { return witnessName }

func newWitness() (*witness, error) { return nil, errNoWitness }

func (w *witness) close() {}

func (w *witness) tcpState(local, remote netip.AddrPort) (tcpState, bool, error) {
	return 0, false, errNoWitness
}

// forget cannot remove a TIME_WAIT entry here; the port book keeps the port
// out of later cells instead.
func (w *witness) forget(local, remote netip.AddrPort) error { return errNoWitness }
