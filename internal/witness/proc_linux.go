package witness

import (
	"fmt"
	"net/netip"
	"os"

	"github.com/bindmatrix/bindmatrix/internal/socktable"
)

// ProcNet reads /proc/net/tcp and tcp6: the witness of kernels without
// sock_diag. It reads the whole table per question, which is slow on a busy
// host (milliseconds) but fine on a small guest kernel.
type ProcNet struct{}

var _ Witness = ProcNet{}

func openProc() (Witness, error) {
	if _, err := os.Stat("/proc/net/tcp"); err != nil {
		return nil, fmt.Errorf("neither sock_diag nor /proc/net/tcp can be read: %w", err)
	}
	return ProcNet{}, nil
}

func (ProcNet) Name() string { return "/proc/net/tcp" }

func (ProcNet) Close() error { return nil }

// Lookup reads tcp6 for an IPv6 question and both files for an IPv4 one:
// it may be about a dual-stack socket, listed in tcp6 with v4-mapped
// addresses.
func (ProcNet) Lookup(local, remote netip.AddrPort) (socktable.Entry, bool, error) {
	files := []string{"/proc/net/tcp6"}
	if local.Addr().Unmap().Is4() {
		files = []string{"/proc/net/tcp", "/proc/net/tcp6"}
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return socktable.Entry{}, false, err
		}
		entries, err := socktable.ParseProcNet("tcp", data, socktable.HostIsLittleEndian())
		if err != nil {
			return socktable.Entry{}, false, err
		}
		if e, found := socktable.Find(entries, local, remote); found {
			return e, true, nil
		}
	}
	return socktable.Entry{}, false, nil
}
