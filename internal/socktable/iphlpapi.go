package socktable

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// The tables Windows' iphlpapi.dll fills in (tcpmib.h, udpmib.h): a DWORD
// count, then the rows. Addresses and ports are in network byte order, a
// port in the first two bytes of its DWORD; states and PIDs in the
// machine's order (little-endian on every Windows architecture).

// RowLayout says which iphlpapi row a table holds.
type RowLayout int

const (
	TCPRow          RowLayout = iota // MIB_TCPROW, GetTcpTable
	TCP6Row                          // MIB_TCP6ROW, GetTcp6Table
	TCPRowOwnerPID                   // MIB_TCPROW_OWNER_PID, GetExtendedTcpTable(AF_INET, TCP_TABLE_OWNER_PID_*)
	TCP6RowOwnerPID                  // MIB_TCP6ROW_OWNER_PID, GetExtendedTcpTable(AF_INET6, ...)
	UDPRowOwnerPID                   // MIB_UDPROW_OWNER_PID, GetExtendedUdpTable(AF_INET, UDP_TABLE_OWNER_PID)
	UDP6RowOwnerPID                  // MIB_UDP6ROW_OWNER_PID, GetExtendedUdpTable(AF_INET6, ...)
)

// rowSizes are the rows' sizes in bytes.
var rowSizes = map[RowLayout]int{
	TCPRow: 20, TCP6Row: 52, TCPRowOwnerPID: 24, TCP6RowOwnerPID: 56, UDPRowOwnerPID: 12, UDP6RowOwnerPID: 28,
}

// mibStates maps MIB_TCP_STATE values to TCPState.
var mibStates = map[uint32]TCPState{
	1:  Close,       // CLOSED
	2:  Listen,      // LISTEN
	3:  SynSent,     // SYN_SENT
	4:  SynRecv,     // SYN_RCVD
	5:  Established, // ESTAB
	6:  FinWait1,    // FIN_WAIT1
	7:  FinWait2,    // FIN_WAIT2
	8:  CloseWait,   // CLOSE_WAIT
	9:  Closing,     // CLOSING
	10: LastAck,     // LAST_ACK
	11: TimeWait,    // TIME_WAIT
	12: Close,       // DELETE_TCB: a connection being removed, as good as closed
}

// ParseIphlpapiTable decodes a table of the given layout.
func ParseIphlpapiTable(b []byte, layout RowLayout) ([]Entry, error) {
	size, ok := rowSizes[layout]
	if !ok {
		return nil, fmt.Errorf("iphlpapi: unknown row layout %d", layout)
	}
	if len(b) < 4 {
		return nil, fmt.Errorf("iphlpapi: a table of %d bytes has no row count", len(b))
	}
	n := uint64(binary.LittleEndian.Uint32(b))
	if 4+n*uint64(size) > uint64(len(b)) {
		return nil, fmt.Errorf("iphlpapi: %d rows of %d bytes do not fit in %d bytes", n, size, len(b))
	}
	le := binary.LittleEndian
	port := func(b []byte) uint16 { return binary.BigEndian.Uint16(b) }
	v4 := func(b []byte) netip.Addr { return netip.AddrFrom4([4]byte(b[:4])) }
	v6 := func(b []byte) netip.Addr { return netip.AddrFrom16([16]byte(b[:16])) }
	entries := make([]Entry, n)
	for i := range entries {
		row := b[4+i*size:][:size]
		e := Entry{Proto: "tcp", UID: -1, PID: -1}
		var state uint32
		switch layout {
		case TCPRow, TCPRowOwnerPID:
			state = le.Uint32(row[0:])
			e.Local = netip.AddrPortFrom(v4(row[4:]), port(row[8:]))
			e.Remote = netip.AddrPortFrom(v4(row[12:]), port(row[16:]))
			if layout == TCPRowOwnerPID {
				e.PID = int(le.Uint32(row[20:]))
			}
		case TCP6Row:
			state = le.Uint32(row[0:])
			e.Local = netip.AddrPortFrom(v6(row[4:]), port(row[24:]))
			e.Remote = netip.AddrPortFrom(v6(row[28:]), port(row[48:]))
		case TCP6RowOwnerPID:
			e.Local = netip.AddrPortFrom(v6(row[0:]), port(row[20:]))
			e.Remote = netip.AddrPortFrom(v6(row[24:]), port(row[44:]))
			state = le.Uint32(row[48:])
			e.PID = int(le.Uint32(row[52:]))
		case UDPRowOwnerPID:
			e.Proto = "udp"
			e.Local = netip.AddrPortFrom(v4(row[0:]), port(row[4:]))
			e.PID = int(le.Uint32(row[8:]))
		case UDP6RowOwnerPID:
			e.Proto = "udp"
			e.Local = netip.AddrPortFrom(v6(row[0:]), port(row[20:]))
			e.PID = int(le.Uint32(row[24:]))
		}
		if e.Proto == "tcp" {
			s, known := mibStates[state]
			if !known {
				return nil, fmt.Errorf("iphlpapi: row %d (%s) has unknown MIB state %d", i, e.Local, state)
			}
			e.State = s
		}
		// Windows does not list dual-stack sockets apart either.
		e.DualStack = e.Local.Addr().Is6() && e.Local.Addr().IsUnspecified()
		entries[i] = e
	}
	return entries, nil
}
