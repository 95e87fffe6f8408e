package scenarios

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// bsdStates maps the state names netstat prints on macOS and the BSDs
// (tcp_fsm.h's tcpstates[]) to tcpState.
var bsdStates = map[string]tcpState{
	"ESTABLISHED": 1, "SYN_SENT": 2, "SYN_RCVD": 3, "FIN_WAIT_1": 4, "FIN_WAIT_2": 5,
	"TIME_WAIT": 6, "CLOSED": 7, "CLOSE_WAIT": 8, "LAST_ACK": 9, "LISTEN": 10, "CLOSING": 11,
}

// findNetstat finds a socket in the output of `netstat -an -p tcp` on macOS
// or FreeBSD:
//
//	Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)
//	tcp4       0      0  127.0.0.1.8080         127.0.0.1.53211        TIME_WAIT
//	tcp6       0      0  *.8080                 *.*                    LISTEN
//
// With an invalid remote it finds the listener for local.
func findNetstat(out []byte, local, remote netip.AddrPort) (tcpState, bool, error) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 6 || !strings.HasPrefix(f[0], "tcp") {
			continue
		}
		// tcp4, tcp6, or tcp46 for a dual-stack socket.
		if fam := strings.TrimPrefix(f[0], "tcp"); !strings.Contains(fam, "4") && local.Addr().Unmap().Is4() ||
			!strings.Contains(fam, "6") && !local.Addr().Unmap().Is4() {
			continue
		}
		l, err1 := parseNetstatAddr(f[3], local.Addr())
		r, err2 := parseNetstatAddr(f[4], local.Addr())
		if err1 != nil || err2 != nil {
			continue // another family's row, or an address netstat shortened
		}
		state, ok := bsdStates[f[5]]
		if !ok {
			return 0, false, fmt.Errorf("netstat: unknown state in %q", sc.Text())
		}
		if !remote.IsValid() {
			if state == tcpListen && l.Port() == local.Port() && (sameAddr(l.Addr(), local.Addr()) || l.Addr().IsUnspecified()) {
				return state, true, nil
			}
			continue
		}
		if sameAddrPort(l, local) && sameAddrPort(r, remote) {
			return state, true, nil
		}
	}
	return 0, false, sc.Err()
}

// parseNetstatAddr reads "127.0.0.1.8080", "::1.8080", "*.8080" or "*.*";
// like says which family a "*" stands for. The port follows the last dot.
func parseNetstatAddr(s string, like netip.Addr) (netip.AddrPort, error) {
	i := strings.LastIndexByte(s, '.')
	if i < 0 {
		return netip.AddrPort{}, fmt.Errorf("no port in %q", s)
	}
	host, portText := s[:i], s[i+1:]
	var port uint64
	if portText != "*" {
		var err error
		if port, err = strconv.ParseUint(portText, 10, 16); err != nil {
			return netip.AddrPort{}, err
		}
	}
	var ip netip.Addr
	switch {
	case host == "*":
		ip = zeroAddr(like)
	default:
		var err error
		if ip, err = netip.ParseAddr(host); err != nil {
			return netip.AddrPort{}, err
		}
	}
	if ip.Unmap().Is4() != like.Unmap().Is4() {
		return netip.AddrPort{}, fmt.Errorf("%q is of the other family", s)
	}
	return netip.AddrPortFrom(ip, uint16(port)), nil
}

func zeroAddr(like netip.Addr) netip.Addr {
	if like.Is4() {
		return netip.IPv4Unspecified()
	}
	return netip.IPv6Unspecified()
}
