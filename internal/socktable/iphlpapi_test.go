package socktable

import (
	"encoding/binary"
	"net/netip"
	"testing"
)

// tcpTable builds a MIB_TCPTABLE_OWNER_PID with one row as Windows fills it.
func tcpTable(state uint32, local, remote netip.AddrPort, pid uint32) []byte {
	b := make([]byte, 4+24)
	binary.LittleEndian.PutUint32(b, 1)
	row := b[4:]
	binary.LittleEndian.PutUint32(row[0:], state)
	copy(row[4:8], local.Addr().AsSlice())
	binary.BigEndian.PutUint16(row[8:], local.Port())
	copy(row[12:16], remote.Addr().AsSlice())
	binary.BigEndian.PutUint16(row[16:], remote.Port())
	binary.LittleEndian.PutUint32(row[20:], pid)
	return b
}

func TestParseIphlpapiTable(t *testing.T) {
	local, remote := netip.MustParseAddrPort("127.0.0.1:8080"), netip.MustParseAddrPort("127.0.0.1:50000")
	entries, err := ParseIphlpapiTable(tcpTable(11, local, remote, 4321), TCPRowOwnerPID)
	if err != nil {
		t.Fatal(err)
	}
	want := Entry{Proto: "tcp", Local: local, Remote: remote, State: TimeWait, UID: -1, PID: 4321}
	if len(entries) != 1 || entries[0] != want {
		t.Errorf("got %+v, want %+v", entries, want)
	}
	if _, err := ParseIphlpapiTable(tcpTable(99, local, remote, 1), TCPRowOwnerPID); err == nil {
		t.Error("an unknown MIB state was accepted")
	}
	short := tcpTable(2, local, remote, 1)
	binary.LittleEndian.PutUint32(short, 2) // claims two rows, holds one
	if _, err := ParseIphlpapiTable(short, TCPRowOwnerPID); err == nil {
		t.Error("a table shorter than its row count was accepted")
	}
	if _, err := ParseIphlpapiTable([]byte{1, 0}, TCPRow); err == nil {
		t.Error("a table without its count was accepted")
	}
}

func TestParseIphlpapiUDP6(t *testing.T) {
	b := make([]byte, 4+28)
	binary.LittleEndian.PutUint32(b, 1)
	copy(b[4:20], netip.IPv6Loopback().AsSlice())
	binary.BigEndian.PutUint16(b[24:], 5353)
	binary.LittleEndian.PutUint32(b[28:], 77)
	entries, err := ParseIphlpapiTable(b, UDP6RowOwnerPID)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Proto != "udp" || entries[0].Local != netip.MustParseAddrPort("[::1]:5353") || entries[0].PID != 77 {
		t.Errorf("got %+v", entries)
	}
}
