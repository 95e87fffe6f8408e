package testenv

import (
	"net/netip"
	"sync/atomic"

	"github.com/bindmatrix/bindmatrix/internal/socktable"
	"github.com/bindmatrix/bindmatrix/internal/witness"
)

// WholeTables plays, on Linux, a witness that reads whole tables for any
// question (iphlpapi, netstat): the paths the runner takes for Windows and
// the BSDs, tested here with sock_diag underneath. Reads counts its reads.
type WholeTables struct {
	*witness.SockDiag
	Reads atomic.Int64
}

var _ witness.Snapshotter = (*WholeTables)(nil)

// Snapshot lists every TCP socket, in one read.
func (w *WholeTables) Snapshot(netip.AddrPort) ([]socktable.Entry, error) {
	w.Reads.Add(1)
	return w.Dump("tcp", 0, witness.AllStates)
}
