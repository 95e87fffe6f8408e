//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package witness

import (
	"fmt"
	"net/netip"
	"os/exec"
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/bindmatrix/bindmatrix/internal/socktable"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// Netstat reads the TCP table with `netstat -an -p tcp`, which lists
// TIME_WAIT entries (lsof does not: no descriptor owns them) and needs no
// privilege. It runs a process per question, milliseconds each; macOS's
// sysctl net.inet.tcp.pcblist_n would be faster, but its record layout is
// private to each release.
type Netstat struct{ path string }

var (
	_ Witness       = Netstat{}
	_ Snapshotter   = Netstat{}
	_ TimeWaitNoter = Netstat{}
)

func openBest() (Witness, error) {
	path, err := exec.LookPath("netstat")
	if err != nil {
		return nil, fmt.Errorf("netstat: %w", err)
	}
	return Netstat{path: path}, nil
}

func (Netstat) Name() string { return "netstat" }

// TimeWaitNote reads the host settings the platform registry names for
// this OS with sysctl(3): on FreeBSD, net.inet.tcp.nolocaltimewait.
func (Netstat) TimeWaitNote() string {
	return settingsNote(runtime.GOOS, matrix.TimeWait, unix.SysctlUint32)
}

func (Netstat) Close() error { return nil }

func (w Netstat) Lookup(local, remote netip.AddrPort) (socktable.Entry, bool, error) {
	entries, err := w.Snapshot(local)
	if err != nil {
		return socktable.Entry{}, false, err
	}
	e, found := socktable.Find(entries, local, remote)
	return e, found, nil
}

// Snapshot runs netstat once: its table holds every TCP socket.
func (w Netstat) Snapshot(netip.AddrPort) ([]socktable.Entry, error) {
	out, err := exec.Command(w.path, "-an", "-p", "tcp").Output()
	if err != nil {
		return nil, fmt.Errorf("netstat -an -p tcp: %w", err)
	}
	return socktable.ParseNetstat(out)
}
