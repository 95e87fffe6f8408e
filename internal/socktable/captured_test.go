package socktable

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"
)

// These tests read output captured on real macOS and FreeBSD machines by
// other people (testdata/README.md says where each came from).

func captured(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

var ap = netip.MustParseAddrPort

func TestNetstatCapturedOnFreeBSD(t *testing.T) {
	entries, err := ParseNetstat(captured(t, "freebsd-11.1-netstat-an-p-tcp.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 10 {
		t.Fatalf("%d rows, want 10", len(entries))
	}
	for _, q := range []struct {
		local, remote netip.AddrPort
		state         TCPState
	}{
		{ap("10.10.10.84:22"), ap("10.10.14.6:57604"), Established},
		{ap("127.0.0.1:25"), netip.AddrPort{}, Listen},
		{ap("127.0.0.1:80"), netip.AddrPort{}, Listen}, // the tcp4 *.80 listener
		{ap("[::1]:22"), netip.AddrPort{}, Listen},     // the tcp6 *.22 listener
	} {
		e, found := Find(entries, q.local, q.remote)
		if !found || e.State != q.state {
			t.Errorf("%v<->%v: %+v found=%v, want %s", q.local, q.remote, e, found, q.state)
		}
	}
	if _, found := Find(entries, ap("127.0.0.1:5800"), netip.AddrPort{}); found {
		t.Error("found a listener on a port nothing listens on")
	}
}

// macOS netstat -v adds columns after the state, whose layout changed from
// release to release; the parser reads only the first six.
func TestNetstatCapturedOnMacOS(t *testing.T) {
	for file, want := range map[string]int{"macos-10.14-netstat-v-n-p-tcp.txt": 7, "macos-26-netstat-anv.txt": 2} {
		entries, err := ParseNetstat(captured(t, file))
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if len(entries) != want {
			t.Errorf("%s: %d rows, want %d", file, len(entries), want)
		}
	}
	entries, _ := ParseNetstat(captured(t, "macos-26-netstat-anv.txt"))
	if e, found := Find(entries, ap("127.0.0.1:49515"), ap("127.0.0.1:49472")); !found || e.State != Established {
		t.Errorf("the Tahoe connection: %+v %v", e, found)
	}
	entries, _ = ParseNetstat(captured(t, "macos-10.14-netstat-v-n-p-tcp.txt"))
	if e, found := Find(entries, ap("192.168.1.191:52040"), ap("140.82.114.4:443")); !found || e.State != CloseWait {
		t.Errorf("the Mojave CLOSE_WAIT connection: %+v %v", e, found)
	}
}

func TestLsofCapturedOnMacOS(t *testing.T) {
	entries, err := ParseLsof(captured(t, "macos-10.13-lsof-PiTCP.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 4 {
		t.Fatalf("%d rows, want 4: %+v", len(entries), entries)
	}
	first := Entry{Proto: "tcp", Local: ap("[::]:5900"), Remote: ap("[::]:0"), State: Listen, DualStack: true,
		UID: -1, PID: 1, Command: "launchd", User: "root"}
	if entries[0] != first {
		t.Errorf("first row %+v\nwant %+v", entries[0], first)
	}
	if entries[2].Local != ap("0.0.0.0:5900") || entries[2].DualStack {
		t.Errorf("the IPv4 row: %+v", entries[2])
	}
	entries, err = ParseLsof(captured(t, "macos-12-lsof-nP-iTCP-sTCP-LISTEN.txt"))
	if err != nil || len(entries) != 2 || entries[0].Command != "ControlCe" || entries[0].PID != 78700 || entries[0].Local.Port() != 7000 {
		t.Errorf("Monterey rows: %+v %v", entries, err)
	}
}

func TestLsofNeedsNumbers(t *testing.T) {
	for _, name := range []string{"localhost:http-alt", "*:commplex-main"} {
		row := "Python  24811 ouyang 5u IPv4 0x9cef83179457a6f5 0t0 TCP " + name + " (LISTEN)\n"
		if _, err := ParseLsof([]byte(row)); err == nil {
			t.Errorf("%s: a name instead of a number was accepted", name)
		}
	}
}

func TestSockstatCapturedOnFreeBSD(t *testing.T) {
	entries, err := ParseSockstat(captured(t, "freebsd-sockstat-l4.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 7 {
		t.Fatalf("%d rows, want 7: %+v", len(entries), entries)
	}
	nginx := Entry{Proto: "tcp", Local: ap("0.0.0.0:80"), Remote: ap("0.0.0.0:0"), State: Listen, UID: -1, PID: 15826, Command: "nginx", User: "www"}
	if entries[0] != nginx {
		t.Errorf("first row %+v\nwant %+v", entries[0], nginx)
	}
	if e := entries[6]; e.Proto != "udp" || e.Local != ap("0.0.0.0:514") || e.Command != "syslogd" || e.State != Close {
		t.Errorf("the UDP row: %+v", e)
	}
	entries, err = ParseSockstat(captured(t, "freebsd-sockstat-6.txt"))
	if err != nil || len(entries) != 8 || entries[6].Local != ap("[::]:22") || entries[6].PID != 828 {
		t.Errorf("the -6 rows: %+v %v", entries, err)
	}
}

func TestSockstatRowsWithoutAProcess(t *testing.T) {
	entries, err := ParseSockstat([]byte("?        ?          ?     ?  udp6   *:2049                *:*\nroot sshd 668 4 tcp6 ::1:22 *:*\n"))
	if err != nil || len(entries) != 2 || entries[0].PID != -1 || entries[0].Command != "" || entries[1].Local != ap("[::1]:22") {
		t.Errorf("got %+v %v", entries, err)
	}
}
