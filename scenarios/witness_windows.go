package scenarios

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/windows"
)

// witness reads the TCP connection table from iphlpapi.dll: GetTcpTable for
// IPv4, GetTcp6Table for IPv6 (x/sys/windows wraps neither). The tables list
// TIME_WAIT entries, which no handle owns, so they can prove that state.
// Windows has no exact lookup like Linux's sock_diag: each question reads
// the whole table.
//
// Not GetExtendedTcpTable with TCP_TABLE_OWNER_PID_ALL: the owning PID is not
// needed, and Wine finds it by scanning every process's descriptors in
// /proc, which made one read cost 130-270 ms instead of 25 ms (measured
// under Wine 8.0 here). One witness serves one goroutine.
type witness struct {
	buf []byte
}

// witnessName says in evidence strings where the state was read.
const witnessName = "iphlpapi"

var (
	iphlpapi         = windows.NewLazySystemDLL("iphlpapi.dll")
	procGetTcpTable  = iphlpapi.NewProc("GetTcpTable")
	procGetTcp6Table = iphlpapi.NewProc("GetTcp6Table")
)

// Row sizes from tcpmib.h.
const (
	sizeofTCPRow  = 20 // MIB_TCPROW
	sizeofTCP6Row = 52 // MIB_TCP6ROW
	mibListen     = 2  // MIB_TCP_STATE_LISTEN
)

// mibStates maps MIB_TCP_STATE values to the Linux numbering of tcpState.
var mibStates = map[uint32]tcpState{
	1:  7,  // CLOSED
	2:  10, // LISTEN
	3:  2,  // SYN_SENT
	4:  3,  // SYN_RCVD
	5:  1,  // ESTAB
	6:  4,  // FIN_WAIT1
	7:  5,  // FIN_WAIT2
	8:  8,  // CLOSE_WAIT
	9:  11, // CLOSING
	10: 9,  // LAST_ACK
	11: 6,  // TIME_WAIT
	12: 7,  // DELETE_TCB: a connection being removed, as good as closed
}

func newWitness() (*witness, error) {
	for _, p := range []*windows.LazyProc{procGetTcpTable, procGetTcp6Table} {
		if err := p.Find(); err != nil {
			return nil, fmt.Errorf("iphlpapi.dll: %w", err)
		}
	}
	return &witness{buf: make([]byte, 16<<10)}, nil
}

func (w *witness) close() {}

// tcpRow is one row of either table, reduced to what a lookup compares.
type tcpRow struct {
	local, remote netip.AddrPort
	state         uint32
}

// tcpState finds the TCP entry with local address local and peer remote;
// with an invalid remote it finds the listener that accepts connections for
// local: one on local's address or on the wildcard address, same port.
func (w *witness) tcpState(local, remote netip.AddrPort) (state tcpState, found bool, err error) {
	if w == nil {
		return 0, false, errNoWitness
	}
	// An IPv4 connection of a dual-stack socket may be listed in either
	// table, v4-mapped in the IPv6 one.
	ipv4 := local.Addr().Unmap().Is4()
	state, found, err = w.find(ipv4, local, remote)
	if ipv4 && !found && err == nil {
		state, found, err = w.find(false, local, remote)
	}
	return state, found, err
}

// find looks for local↔remote in one of the two tables.
func (w *witness) find(ipv4 bool, local, remote netip.AddrPort) (tcpState, bool, error) {
	rows, err := w.table(ipv4)
	if err != nil {
		return 0, false, err
	}
	for _, r := range rows {
		var match bool
		if remote.IsValid() {
			match = sameAddrPort(r.local, local) && sameAddrPort(r.remote, remote)
		} else {
			match = r.state == mibListen && r.local.Port() == local.Port() &&
				(sameAddr(r.local.Addr(), local.Addr()) || r.local.Addr().IsUnspecified())
		}
		if match {
			s, known := mibStates[r.state]
			if !known {
				return 0, true, fmt.Errorf("%s: %s<->%s has unknown MIB state %d", witnessName, local, remote, r.state)
			}
			return s, true, nil
		}
	}
	return 0, false, nil
}

// table reads the IPv4 or IPv6 connection table.
func (w *witness) table(ipv4 bool) ([]tcpRow, error) {
	proc, rowSize := procGetTcpTable, sizeofTCPRow
	if !ipv4 {
		proc, rowSize = procGetTcp6Table, sizeofTCP6Row
	}
	for {
		size := uint32(len(w.buf))
		// ULONG GetTcpTable(PMIB_TCPTABLE, PULONG SizePointer, BOOL Order),
		// and the same for GetTcp6Table.
		r, _, _ := proc.Call(uintptr(unsafe.Pointer(&w.buf[0])), uintptr(unsafe.Pointer(&size)), 0)
		if errno := windows.Errno(r); errno == windows.ERROR_INSUFFICIENT_BUFFER {
			w.buf = make([]byte, size+size/4) // connections come and go between calls
			continue
		} else if errno != 0 {
			return nil, fmt.Errorf("%s: %w", proc.Name, errno)
		}
		return parseTCPTable(w.buf[:size], rowSize, ipv4)
	}
}

// parseTCPTable decodes MIB_TCPTABLE or MIB_TCP6TABLE: a DWORD count, then
// the rows. Addresses and ports are in network byte order, a port in the
// first two bytes of its DWORD; the state is in the machine's order.
func parseTCPTable(b []byte, rowSize int, ipv4 bool) ([]tcpRow, error) {
	if len(b) < 4 {
		return nil, errors.New(witnessName + ": short table")
	}
	n := int(binary.LittleEndian.Uint32(b))
	if 4+n*rowSize > len(b) {
		return nil, fmt.Errorf("%s: %d rows do not fit in %d bytes", witnessName, n, len(b))
	}
	rows := make([]tcpRow, n)
	port := func(b []byte) uint16 { return binary.BigEndian.Uint16(b) }
	for i := range rows {
		row := b[4+i*rowSize:][:rowSize]
		if ipv4 {
			rows[i] = tcpRow{
				state:  binary.LittleEndian.Uint32(row[0:]),
				local:  netip.AddrPortFrom(netip.AddrFrom4([4]byte(row[4:8])), port(row[8:])),
				remote: netip.AddrPortFrom(netip.AddrFrom4([4]byte(row[12:16])), port(row[16:])),
			}
		} else {
			rows[i] = tcpRow{
				state:  binary.LittleEndian.Uint32(row[0:]),
				local:  netip.AddrPortFrom(netip.AddrFrom16([16]byte(row[4:20])), port(row[24:])),
				remote: netip.AddrPortFrom(netip.AddrFrom16([16]byte(row[28:44])), port(row[48:])),
			}
		}
	}
	return rows, nil
}

// name says in evidence strings where the state was read.
func (w *witness) name() string { return witnessName }

// forget cannot remove a TIME_WAIT entry here; the port book keeps the port
// out of later cells instead.
func (w *witness) forget(local, remote netip.AddrPort) error { return errNoWitness }
