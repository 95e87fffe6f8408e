package scenarios

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
)

// procTCPState finds a TCP socket in /proc/net/tcp or tcp6: the fallback
// for kernels without sock_diag. It reads the whole table, which is slow on
// a busy host (milliseconds) but fine on a small guest kernel.
// An IPv4 question may be about a dual-stack socket, listed in tcp6 with
// v4-mapped addresses, so it reads both files.
func procTCPState(local, remote netip.AddrPort) (tcpState, bool, error) {
	files := []string{"/proc/net/tcp6"}
	if local.Addr().Unmap().Is4() {
		files = []string{"/proc/net/tcp", "/proc/net/tcp6"}
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return 0, false, err
		}
		if state, found, err := findProcTCP(data, local, remote); found || err != nil {
			return state, found, err
		}
	}
	return 0, false, nil
}

// findProcTCP scans the text of /proc/net/tcp{,6}: after a heading, one
// socket per line, "sl local_address rem_address st ...", addresses as hex
// words in host byte order and ports in hex.
func findProcTCP(data []byte, local, remote netip.AddrPort) (tcpState, bool, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Scan() // heading
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 {
			continue
		}
		l, err1 := parseProcAddr(f[1])
		r, err2 := parseProcAddr(f[2])
		st, err3 := strconv.ParseUint(f[3], 16, 8)
		if err1 != nil || err2 != nil || err3 != nil {
			return 0, false, fmt.Errorf("/proc/net/tcp: cannot parse %q", sc.Text())
		}
		if !remote.IsValid() {
			if l.Port() == local.Port() && (sameAddr(l.Addr(), local.Addr()) || l.Addr().IsUnspecified()) && tcpState(st) == tcpListen {
				return tcpListen, true, nil
			}
			continue
		}
		if sameAddrPort(l, local) && sameAddrPort(r, remote) {
			return tcpState(st), true, nil
		}
	}
	return 0, false, sc.Err()
}

func parseProcAddr(s string) (netip.AddrPort, error) {
	addrHex, portHex, ok := strings.Cut(s, ":")
	if !ok {
		return netip.AddrPort{}, fmt.Errorf("no port in %q", s)
	}
	port, err := strconv.ParseUint(portHex, 16, 16)
	if err != nil {
		return netip.AddrPort{}, err
	}
	raw, err := hex.DecodeString(addrHex)
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		return netip.AddrPort{}, fmt.Errorf("bad address %q", addrHex)
	}
	// The kernel prints each 32-bit word of the address as a number read
	// in host byte order: read the number back and store it the same way.
	for i := 0; i < len(raw); i += 4 {
		binary.NativeEndian.PutUint32(raw[i:], binary.BigEndian.Uint32(raw[i:]))
	}
	if len(raw) == 4 {
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte(raw)), uint16(port)), nil
	}
	return netip.AddrPortFrom(netip.AddrFrom16([16]byte(raw)), uint16(port)), nil
}
