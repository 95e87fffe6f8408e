package scenarios

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

func TestFindNetstat(t *testing.T) {
	ap := netip.MustParseAddrPort
	for _, tc := range []struct {
		name          string
		local, remote netip.AddrPort
		state         tcpState
		found         bool
	}{
		{"time_wait", ap("127.0.0.1:8080"), ap("127.0.0.1:53211"), tcpTimeWait, true},
		{"wrong peer", ap("127.0.0.1:8080"), ap("127.0.0.1:53212"), 0, false},
		{"established", ap("127.0.0.1:9090"), ap("127.0.0.1:53300"), tcpEstablished, true},
		{"wildcard listener", ap("127.0.0.1:9090"), netip.AddrPort{}, tcpListen, true},
		{"no listener", ap("127.0.0.1:8080"), netip.AddrPort{}, 0, false},
		{"ipv6", ap("[::1]:8080"), ap("[::1]:53211"), 5, true},
		{"ipv6 wildcard listener", ap("[::1]:443"), netip.AddrPort{}, tcpListen, true},
		{"ipv4 is not ipv6", ap("[::1]:9090"), netip.AddrPort{}, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			state, found, err := findNetstat([]byte(netstatSample), tc.local, tc.remote)
			if err != nil || found != tc.found || state != tc.state {
				t.Errorf("got %v found=%v err=%v, want %v found=%v", state, found, err, tc.state, tc.found)
			}
		})
	}
	if _, _, err := findNetstat([]byte("tcp4 0 0 127.0.0.1.1 127.0.0.1.2 DANCING\n"), ap("127.0.0.1:1"), ap("127.0.0.1:2")); err == nil {
		t.Error("an unknown state was accepted")
	}
}
