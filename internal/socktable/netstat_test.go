package socktable

import (
	"net/netip"
	"testing"
)

// Output shaped like macOS's and FreeBSD's `netstat -an -p tcp`.
const netstatSample = `Active Internet connections (including servers)
Proto Recv-Q Send-Q  Local Address          Foreign Address        (state)
tcp4       0      0  127.0.0.1.8080         127.0.0.1.53211        TIME_WAIT
tcp4       0      0  127.0.0.1.9090         127.0.0.1.53300        ESTABLISHED
tcp4       0      0  *.9090                 *.*                    LISTEN
tcp6       0      0  ::1.8080               ::1.53211              FIN_WAIT_2
tcp46      0      0  *.443                  *.*                    LISTEN
tcp6       0      0  fe80::1%lo0.7000       *.*                    LISTEN
`

func TestFindInNetstat(t *testing.T) {
	entries, err := ParseNetstat([]byte(netstatSample))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 6 {
		t.Fatalf("%d rows, want 6: %+v", len(entries), entries)
	}
	ap := netip.MustParseAddrPort
	for _, tc := range []struct {
		name          string
		local, remote netip.AddrPort
		state         TCPState
		found         bool
	}{
		{"time_wait", ap("127.0.0.1:8080"), ap("127.0.0.1:53211"), TimeWait, true},
		{"wrong peer", ap("127.0.0.1:8080"), ap("127.0.0.1:53212"), 0, false},
		{"established", ap("127.0.0.1:9090"), ap("127.0.0.1:53300"), Established, true},
		{"wildcard listener", ap("127.0.0.1:9090"), netip.AddrPort{}, Listen, true},
		{"no listener", ap("127.0.0.1:8080"), netip.AddrPort{}, 0, false},
		{"ipv6", ap("[::1]:8080"), ap("[::1]:53211"), FinWait2, true},
		{"ipv6 wildcard listener", ap("[::1]:443"), netip.AddrPort{}, Listen, true},
		{"dual-stack listener takes ipv4", ap("127.0.0.1:443"), netip.AddrPort{}, Listen, true},
		{"ipv4 listener is not ipv6", ap("[::1]:9090"), netip.AddrPort{}, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, found := Find(entries, tc.local, tc.remote)
			if found != tc.found || e.State != tc.state {
				t.Errorf("got %v found=%v, want %v found=%v", e.State, found, tc.state, tc.found)
			}
		})
	}
}

func TestParseNetstatRejectsWhatItCannotRead(t *testing.T) {
	for name, text := range map[string]string{
		"unknown state": "tcp4 0 0 127.0.0.1.1 127.0.0.1.2 DANCING\n",
		"bad address":   "tcp4 0 0 127.0.0.300.1 127.0.0.1.2 LISTEN\n",
		"bad port":      "tcp4 0 0 127.0.0.1.99999 *.* LISTEN\n",
		"no state":      "tcp4 0 0 127.0.0.1.80 *.*\n",
	} {
		if _, err := ParseNetstat([]byte(text)); err == nil {
			t.Errorf("%s: %q was accepted", name, text)
		}
	}
}

// The BSDs without tcp4/tcp46 (OpenBSD, NetBSD) print tcp for IPv4, and UDP
// rows carry no state.
func TestParseNetstatOtherBSDs(t *testing.T) {
	entries, err := ParseNetstat([]byte("tcp          0      0  *.22                   *.*                    LISTEN\n" +
		"udp          0      0  127.0.0.1.53           *.*\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{Proto: "tcp", Local: netip.MustParseAddrPort("0.0.0.0:22"), Remote: netip.MustParseAddrPort("0.0.0.0:0"), State: Listen, UID: -1, PID: -1},
		{Proto: "udp", Local: netip.MustParseAddrPort("127.0.0.1:53"), Remote: netip.MustParseAddrPort("0.0.0.0:0"), UID: -1, PID: -1},
	}
	if len(entries) != len(want) {
		t.Fatalf("got %+v", entries)
	}
	for i := range want {
		if entries[i] != want[i] {
			t.Errorf("row %d: %+v, want %+v", i, entries[i], want[i])
		}
	}
}
