package socktable

import (
	"net/netip"
	"strings"
	"testing"
)

// A /proc/net/tcp as a little-endian Linux prints it: a listener on
// 127.0.0.1:8080, and a TIME_WAIT entry (st 06) of port 8080.
const procSample = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F90 0100007F:CF9B 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000
`

func TestParseProcNet(t *testing.T) {
	entries, err := ParseProcNet("tcp", []byte(procSample), true)
	if err != nil {
		t.Fatal(err)
	}
	listener := netip.MustParseAddrPort("127.0.0.1:8080")
	e, found := Find(entries, listener, netip.AddrPort{})
	if !found || e.State != Listen || e.Inode != 4242 || e.UID != 0 {
		t.Errorf("listener: %+v found=%v", e, found)
	}
	e, found = Find(entries, listener, netip.MustParseAddrPort("127.0.0.1:53147"))
	if !found || e.State != TimeWait {
		t.Errorf("TIME_WAIT entry: %+v found=%v", e, found)
	}
	if _, found := Find(entries, listener, netip.MustParseAddrPort("127.0.0.1:53148")); found {
		t.Error("found a connection with the wrong peer port")
	}
	// A big-endian host prints the same address as 7F000001.
	be := strings.ReplaceAll(procSample, "0100007F", "7F000001")
	entries, err = ParseProcNet("tcp", []byte(be), false)
	if err != nil || entries[0].Local != listener {
		t.Errorf("big-endian: %v %+v", err, entries)
	}
}

func TestParseProcNetIPv6(t *testing.T) {
	text := "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
		"   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 77 1\n"
	entries, err := ParseProcNet("tcp", []byte(text), true)
	if err != nil {
		t.Fatal(err)
	}
	if want := netip.MustParseAddrPort("[::1]:8080"); len(entries) != 1 || entries[0].Local != want || entries[0].UID != 1000 {
		t.Errorf("got %+v, want ::1 port 8080 uid 1000", entries)
	}
}

func TestParseProcNetRejectsGarbage(t *testing.T) {
	for name, line := range map[string]string{
		"bad address": "   0: zz:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1",
		"short":       "   0: 0100007F:1F90 00000000:0000 0A",
		"bad state":   "   0: 0100007F:1F90 00000000:0000 XYZ 00000000:00000000 00:00000000 00000000     0        0 1",
		"bad port":    "   0: 0100007F:1F9012 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1",
	} {
		if _, err := ParseProcNet("tcp", []byte("heading\n"+line+"\n"), true); err == nil {
			t.Errorf("%s: %q was accepted", name, line)
		}
	}
}
