package socktable

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// ParseProcNet reads the text of /proc/net/tcp, tcp6, udp or udp6: after a
// heading, one socket per line,
//
//	sl  local_address rem_address   st tx_queue:rx_queue tr:tm->when retrnsmt   uid  timeout inode
//	 0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 ...
//
// with addresses as 32-bit words printed in the host's byte order and ports
// in hex. proto ("tcp" or "udp") goes into the entries; little says whether
// the host that printed the file was little-endian (the host this runs on,
// unless the text came from elsewhere). A line that does not parse is an
// error naming it: a witness must not skip what it cannot read.
func ParseProcNet(proto string, data []byte, little bool) ([]Entry, error) {
	lines := bytes.Split(data, []byte("\n"))
	var entries []Entry
	for i, line := range lines {
		if i == 0 || len(bytes.TrimSpace(line)) == 0 {
			continue // the heading, or the end
		}
		f := strings.Fields(string(line))
		if len(f) < 10 {
			return nil, fmt.Errorf("/proc/net/%s line %d: %d fields, want at least 10: %q", proto, i+1, len(f), line)
		}
		local, err1 := parseProcAddr(f[1], little)
		remote, err2 := parseProcAddr(f[2], little)
		state, err3 := strconv.ParseUint(f[3], 16, 8)
		uid, err4 := strconv.ParseUint(f[7], 10, 32)
		inode, err5 := strconv.ParseUint(f[9], 10, 64)
		for _, err := range []error{err1, err2, err3, err4, err5} {
			if err != nil {
				return nil, fmt.Errorf("/proc/net/%s line %d: %v: %q", proto, i+1, err, line)
			}
		}
		e := Entry{Proto: proto, Local: local, Remote: remote, State: TCPState(state), UID: int(uid), PID: -1, Inode: inode}
		// The file does not say which IPv6 sockets are IPv6-only.
		e.DualStack = local.Addr().Is6() && local.Addr().IsUnspecified()
		entries = append(entries, e)
	}
	return entries, nil
}

// parseProcAddr reads "0100007F:1F90": the kernel prints each 32-bit word of
// the address as a number in the host's byte order.
func parseProcAddr(s string, little bool) (netip.AddrPort, error) {
	addrHex, portHex, ok := strings.Cut(s, ":")
	if !ok {
		return netip.AddrPort{}, fmt.Errorf("no port in %q", s)
	}
	port, err := strconv.ParseUint(portHex, 16, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("port of %q: %v", s, err)
	}
	raw, err := hex.DecodeString(addrHex)
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		return netip.AddrPort{}, fmt.Errorf("bad address %q", addrHex)
	}
	if little {
		for i := 0; i < len(raw); i += 4 {
			binary.LittleEndian.PutUint32(raw[i:], binary.BigEndian.Uint32(raw[i:]))
		}
	}
	if len(raw) == 4 {
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte(raw)), uint16(port)), nil
	}
	return netip.AddrPortFrom(netip.AddrFrom16([16]byte(raw)), uint16(port)), nil
}

// HostIsLittleEndian says how this host's kernel prints /proc/net words.
func HostIsLittleEndian() bool {
	var b [2]byte
	binary.NativeEndian.PutUint16(b[:], 1)
	return b[0] == 1
}
