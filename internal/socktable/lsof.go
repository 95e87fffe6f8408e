package socktable

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// ParseLsof reads the Internet rows of lsof's column output, as macOS
// prints `lsof -nP -iTCP -sTCP:LISTEN` or `lsof -nP -iUDP`:
//
//	COMMAND   PID    USER   FD   TYPE             DEVICE SIZE/OFF NODE NAME
//	launchd     1    root   36u  IPv6 0xf73fea16f4aa7065      0t0  TCP *:5900 (LISTEN)
//
// The columns between FD and NODE are not of fixed width, so a row is read
// from both ends: command, PID and user from the left; protocol, address
// and state from the right. TYPE says the family; an IPv6 wildcard socket
// may be dual-stack (lsof does not say). A row whose address is a name
// (lsof run without -n or -P) is an error: the numbers are needed.
func ParseLsof(out []byte) ([]Entry, error) {
	var entries []Entry
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for n := 1; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		if len(f) < 9 || f[0] == "COMMAND" {
			continue
		}
		node, name := f[len(f)-2], f[len(f)-1]
		state := ""
		if strings.HasPrefix(name, "(") {
			node, name, state = f[len(f)-3], f[len(f)-2], strings.Trim(f[len(f)-1], "()")
		}
		if node != "TCP" && node != "UDP" {
			continue
		}
		pid, err := strconv.Atoi(f[1])
		if err != nil {
			return nil, fmt.Errorf("lsof line %d: PID %q: %q", n, f[1], sc.Text())
		}
		e := Entry{Proto: strings.ToLower(node), PID: pid, UID: -1, Command: unescapeLsof(f[0]), User: f[2]}
		local, remote, _ := strings.Cut(name, "->")
		v6 := strings.Contains(sc.Text(), " IPv6 ")
		if e.Local, err = parseLsofAddr(local, v6); err != nil {
			return nil, fmt.Errorf("lsof line %d: %v: %q", n, err, sc.Text())
		}
		e.Remote = netip.AddrPortFrom(Unspecified(e.Local.Addr()), 0)
		if remote != "" {
			if e.Remote, err = parseLsofAddr(remote, v6); err != nil {
				return nil, fmt.Errorf("lsof line %d: %v: %q", n, err, sc.Text())
			}
		}
		if e.Proto == "tcp" {
			s, known := bsdStates[state]
			if !known {
				return nil, fmt.Errorf("lsof line %d: unknown TCP state %q", n, state)
			}
			e.State = s
		}
		e.DualStack = v6 && e.Local.Addr().IsUnspecified()
		entries = append(entries, e)
	}
	return entries, sc.Err()
}

// parseLsofAddr reads "127.0.0.1:8080", "[::1]:631" or "*:5900".
func parseLsofAddr(s string, v6 bool) (netip.AddrPort, error) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return netip.AddrPort{}, fmt.Errorf("no port in %q", s)
	}
	port, err := strconv.ParseUint(s[i+1:], 10, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("port of %q is not a number (run lsof with -P)", s)
	}
	host := strings.Trim(s[:i], "[]")
	if host == "*" {
		if v6 {
			return netip.AddrPortFrom(netip.IPv6Unspecified(), uint16(port)), nil
		}
		return netip.AddrPortFrom(netip.IPv4Unspecified(), uint16(port)), nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("address of %q is not a number (run lsof with -n)", s)
	}
	return netip.AddrPortFrom(ip, uint16(port)), nil
}

// unescapeLsof undoes lsof's escaping of unprintable bytes in names
// ("\x20" for a space).
func unescapeLsof(s string) string {
	if !strings.Contains(s, `\x`) {
		return s
	}
	if u, err := strconv.Unquote(`"` + strings.ReplaceAll(s, `"`, `\"`) + `"`); err == nil {
		return u
	}
	return s
}
