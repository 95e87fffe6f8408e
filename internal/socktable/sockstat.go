package socktable

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// ParseSockstat reads the Internet rows of FreeBSD's sockstat (`sockstat
// -46l`), in each of the column layouts real systems print:
//
//	USER     COMMAND    PID   FD PROTO  LOCAL ADDRESS         FOREIGN ADDRESS
//	root     sshd       668   4  tcp6   *:22                  *:*
//	www      nginx      15826  8 tcp4  *:80                  *:*
//
// Columns are split on blanks, never on fixed widths. A socket no process
// holds any more is listed with "?" for user, command, PID and FD. UNIX
// socket rows are skipped. sockstat -l lists TCP sockets that listen and
// UDP sockets that are bound; they get state Listen and Close.
func ParseSockstat(out []byte) ([]Entry, error) {
	var entries []Entry
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for n := 1; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		if len(f) < 6 || f[0] == "USER" {
			continue
		}
		proto, fam, ok := netstatProto(f[4])
		if !ok {
			continue // a UNIX socket, or not a row
		}
		e := Entry{Proto: proto, UID: -1, PID: -1, Command: f[1], User: f[0], DualStack: fam == "46"}
		if f[2] != "?" {
			pid, err := strconv.Atoi(f[2])
			if err != nil {
				return nil, fmt.Errorf("sockstat line %d: PID %q: %q", n, f[2], sc.Text())
			}
			e.PID = pid
		} else {
			e.Command, e.User = "", ""
		}
		var err error
		if e.Local, err = parseSockstatAddr(f[5], fam); err != nil {
			return nil, fmt.Errorf("sockstat line %d: %v: %q", n, err, sc.Text())
		}
		e.Remote = netip.AddrPortFrom(Unspecified(e.Local.Addr()), 0)
		if len(f) > 6 && f[6] != "*:*" {
			if e.Remote, err = parseSockstatAddr(f[6], fam); err != nil {
				return nil, fmt.Errorf("sockstat line %d: %v: %q", n, err, sc.Text())
			}
		}
		e.State = Listen
		if proto == "udp" {
			e.State = Close
		}
		entries = append(entries, e)
	}
	return entries, sc.Err()
}

// parseSockstatAddr reads "127.0.0.1:25", "*:22" or "::1:25" (IPv6 without
// brackets: the port follows the last colon).
func parseSockstatAddr(s, fam string) (netip.AddrPort, error) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return netip.AddrPort{}, fmt.Errorf("no port in %q", s)
	}
	port, err := strconv.ParseUint(s[i+1:], 10, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("port of %q: %v", s, err)
	}
	host := strings.Trim(s[:i], "[]")
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
