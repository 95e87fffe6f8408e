package socktable

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// bsdStates maps the state names BSD netstat prints (tcp_fsm.h's
// tcpstates[]) to TCPState.
var bsdStates = map[string]TCPState{
	"ESTABLISHED": Established, "SYN_SENT": SynSent, "SYN_RCVD": SynRecv, "FIN_WAIT_1": FinWait1,
	"FIN_WAIT_2": FinWait2, "TIME_WAIT": TimeWait, "CLOSED": Close, "CLOSE_WAIT": CloseWait,
	"LAST_ACK": LastAck, "LISTEN": Listen, "CLOSING": Closing,
}

// ParseNetstat reads the socket rows of BSD netstat's `netstat -an -p tcp`
// (or `-p udp`), as macOS, FreeBSD, NetBSD, OpenBSD and DragonFly print it:
//
//	Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)
//	tcp4       0      0  127.0.0.1.8080         127.0.0.1.53211        TIME_WAIT
//	tcp46      0      0  *.443                  *.*                    LISTEN
//	udp4       0      0  *.5353                 *.*
//
// The protocol column says the family: tcp4 or (OpenBSD, NetBSD) tcp is
// IPv4, tcp6 IPv6, tcp46 a dual-stack socket. An address is HOST.PORT, "*"
// standing for the wildcard address or any port. Lines that are not socket
// rows (headings, other sections) are skipped; a row that does not parse is
// an error naming it.
func ParseNetstat(out []byte) ([]Entry, error) {
	var entries []Entry
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for n := 1; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		if len(f) < 5 {
			continue
		}
		proto, fam, ok := netstatProto(f[0])
		if !ok {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue // a heading that starts with a protocol-like word
		}
		e := Entry{Proto: proto, UID: -1, PID: -1, DualStack: fam == "46"}
		var err error
		if e.Local, err = parseNetstatAddr(f[3], fam); err != nil {
			return nil, fmt.Errorf("netstat line %d: %v: %q", n, err, sc.Text())
		}
		if e.Remote, err = parseNetstatAddr(f[4], fam); err != nil {
			return nil, fmt.Errorf("netstat line %d: %v: %q", n, err, sc.Text())
		}
		if proto == "tcp" {
			if len(f) < 6 {
				return nil, fmt.Errorf("netstat line %d: a TCP row without a state: %q", n, sc.Text())
			}
			state, known := bsdStates[f[5]]
			if !known {
				return nil, fmt.Errorf("netstat line %d: unknown state %q", n, f[5])
			}
			e.State = state
		}
		entries = append(entries, e)
	}
	return entries, sc.Err()
}

// netstatProto splits "tcp4", "tcp6", "tcp46", "tcp" (and udp's) into the
// protocol and the family digits; "" stands for IPv4.
func netstatProto(word string) (proto, fam string, ok bool) {
	for _, p := range []string{"tcp", "udp"} {
		if rest, found := strings.CutPrefix(word, p); found {
			switch rest {
			case "", "4":
				return p, "4", true
			case "6", "46":
				return p, rest, true
			}
		}
	}
	return "", "", false
}

// parseNetstatAddr reads "127.0.0.1.8080", "::1.8080", "*.8080" or "*.*";
// the port follows the last dot.
func parseNetstatAddr(s, fam string) (netip.AddrPort, error) {
	i := strings.LastIndexByte(s, '.')
	if i < 0 {
		return netip.AddrPort{}, fmt.Errorf("no port in %q", s)
	}
	host, portText := s[:i], s[i+1:]
	var port uint64
	if portText != "*" {
		var err error
		if port, err = strconv.ParseUint(portText, 10, 16); err != nil {
			return netip.AddrPort{}, fmt.Errorf("port of %q: %v", s, err)
		}
	}
	if host == "*" {
		if fam == "4" {
			return netip.AddrPortFrom(netip.IPv4Unspecified(), uint16(port)), nil
		}
		return netip.AddrPortFrom(netip.IPv6Unspecified(), uint16(port)), nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.AddrPort{}, err
	}
	return netip.AddrPortFrom(ip, uint16(port)), nil
}
