package socktable

import (
	"net/netip"
	"testing"
)

// The fuzzers hold every parser to two promises: it never panics, and what
// it returns is consistent (a row it accepts has valid addresses). The
// seeds are the tests' samples.

func FuzzParseNetlink(f *testing.F) {
	f.Add(diagReply(1, afInet, uint8(TimeWait), netip.MustParseAddrPort("127.0.0.1:1"), netip.MustParseAddrPort("127.0.0.1:2"), 5, 0, 0))
	f.Add(errorMessage(3, 2))
	f.Add(DiagRequest{Type: SockDiagByFamily, Flags: FlagRequest | FlagDump, LocalPort: 80}.Marshal())
	f.Fuzz(func(t *testing.T, data []byte) {
		msgs, err := ParseNetlink(data)
		for _, m := range msgs {
			if len(m.Payload) > len(data) {
				t.Fatalf("payload of %d bytes from %d", len(m.Payload), len(data))
			}
			if e, err := ParseDiagMsg("tcp", m.Payload); err == nil && (!e.Local.IsValid() || !e.Remote.IsValid()) {
				t.Fatalf("accepted an entry with an invalid address: %+v", e)
			}
		}
		_ = err
	})
}

func FuzzParseProcNet(f *testing.F) {
	f.Add([]byte(procSample), true)
	f.Add([]byte("heading\n   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 0:0 0:0 0 1000 0 77\n"), false)
	f.Fuzz(func(t *testing.T, data []byte, little bool) {
		entries, err := ParseProcNet("tcp", data, little)
		if err != nil {
			return
		}
		for _, e := range entries {
			if !e.Local.IsValid() || !e.Remote.IsValid() {
				t.Fatalf("accepted an entry with an invalid address: %+v", e)
			}
		}
	})
}

func FuzzParseNetstat(f *testing.F) {
	f.Add([]byte(netstatSample))
	f.Add([]byte("tcp          0      0  *.22                   *.*                    LISTEN\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := ParseNetstat(data)
		if err != nil {
			return
		}
		for _, e := range entries {
			if !e.Local.IsValid() || !e.Remote.IsValid() || (e.Proto != "tcp" && e.Proto != "udp") {
				t.Fatalf("accepted a bad row: %+v", e)
			}
		}
	})
}

func FuzzParseIphlpapiTable(f *testing.F) {
	f.Add(tcpTable(11, netip.MustParseAddrPort("127.0.0.1:1"), netip.MustParseAddrPort("127.0.0.1:2"), 3), uint8(TCPRowOwnerPID))
	f.Add([]byte{0, 0, 0, 0}, uint8(TCP6Row))
	f.Fuzz(func(t *testing.T, data []byte, layout uint8) {
		entries, err := ParseIphlpapiTable(data, RowLayout(layout%6))
		if err != nil {
			return
		}
		if 4+len(entries)*rowSizes[RowLayout(layout%6)] > len(data) {
			t.Fatalf("%d entries from %d bytes", len(entries), len(data))
		}
	})
}

func FuzzParseLsof(f *testing.F) {
	f.Add([]byte("launchd     1    root   36u  IPv6 0xf73fea16f4aa7065      0t0  TCP *:5900 (LISTEN)\n"))
	f.Add([]byte("ControlCe 78700 xxxx   20u  IPv4 0x47c121e5e7d0dbc9      0t0  TCP 127.0.0.1:7000->127.0.0.1:5 (ESTABLISHED)\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := ParseLsof(data)
		if err != nil {
			return
		}
		for _, e := range entries {
			if !e.Local.IsValid() || !e.Remote.IsValid() {
				t.Fatalf("accepted a row with an invalid address: %+v", e)
			}
		}
	})
}

func FuzzParseSockstat(f *testing.F) {
	f.Add([]byte("USER     COMMAND    PID   FD PROTO  LOCAL ADDRESS         FOREIGN ADDRESS\nroot     sshd       668   4  tcp6   *:22                  *:*\n"))
	f.Add([]byte("?        ?          ?     ?  udp6   *:2049                *:*\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := ParseSockstat(data)
		if err != nil {
			return
		}
		for _, e := range entries {
			if !e.Local.IsValid() || !e.Remote.IsValid() {
				t.Fatalf("accepted a row with an invalid address: %+v", e)
			}
		}
	})
}
