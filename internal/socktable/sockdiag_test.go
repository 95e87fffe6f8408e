package socktable

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"
)

// diagReply builds what the kernel answers a lookup with: an inet_diag_msg
// for the socket, in a netlink message.
func diagReply(seq uint32, family, state uint8, local, remote netip.AddrPort, cookie uint64, uid, inode uint32) []byte {
	b := make([]byte, nlmsgHdrLen+diagMsgLen)
	ne.PutUint32(b[0:], uint32(len(b)))
	ne.PutUint16(b[4:], SockDiagByFamily)
	ne.PutUint32(b[8:], seq)
	m := b[nlmsgHdrLen:]
	m[0], m[1] = family, state
	id := m[4:52]
	binary.BigEndian.PutUint16(id[0:], local.Port())
	binary.BigEndian.PutUint16(id[2:], remote.Port())
	putDiagAddr(id[4:20], local.Addr())
	putDiagAddr(id[20:36], remote.Addr())
	ne.PutUint32(id[40:], uint32(cookie))
	ne.PutUint32(id[44:], uint32(cookie>>32))
	ne.PutUint32(m[64:], uid)
	ne.PutUint32(m[68:], inode)
	return b
}

func errorMessage(seq uint32, errno int32) []byte {
	b := make([]byte, nlmsgHdrLen+4+nlmsgHdrLen)
	ne.PutUint32(b[0:], uint32(len(b)))
	ne.PutUint16(b[4:], nlmsgError)
	ne.PutUint32(b[8:], seq)
	ne.PutUint32(b[nlmsgHdrLen:], uint32(-errno))
	return b
}

func TestParseDiagReply(t *testing.T) {
	local, remote := netip.MustParseAddrPort("127.0.0.1:8080"), netip.MustParseAddrPort("127.0.0.1:50000")
	data := append(diagReply(7, afInet, uint8(TimeWait), local, remote, 0x1122334455667788, 1000, 99), errorMessage(8, 2)...)
	msgs, err := ParseNetlink(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || msgs[0].Seq != 7 || msgs[1].Seq != 8 || !msgs[1].IsError() || msgs[1].Errno != 2 {
		t.Fatalf("messages: %+v", msgs)
	}
	e, err := ParseDiagMsg("tcp", msgs[0].Payload)
	if err != nil {
		t.Fatal(err)
	}
	want := Entry{Proto: "tcp", Local: local, Remote: remote, State: TimeWait, Cookie: 0x1122334455667788, UID: 1000, Inode: 99, PID: -1}
	if e != want {
		t.Errorf("got %+v\nwant %+v", e, want)
	}
}

func TestParseNetlinkRejectsTruncation(t *testing.T) {
	full := diagReply(1, afInet6, uint8(Listen), netip.MustParseAddrPort("[::1]:80"), netip.MustParseAddrPort("[::]:0"), 1, 0, 0)
	for _, n := range []int{1, nlmsgHdrLen - 1, nlmsgHdrLen + 10} {
		if _, err := ParseNetlink(full[:n]); !errors.Is(err, ErrTruncated) {
			t.Errorf("%d of %d bytes: err %v, want ErrTruncated", n, len(full), err)
		}
	}
	short := make([]byte, nlmsgHdrLen+10)
	ne.PutUint32(short, uint32(len(short)))
	if _, err := ParseDiagMsg("tcp", short[nlmsgHdrLen:]); !errors.Is(err, ErrTruncated) {
		t.Errorf("a 10-byte inet_diag_msg: %v", err)
	}
}

// TestDiagRequestLayout holds the request to the kernel's layout, byte by
// byte where it matters: a wrong offset would ask about another socket.
func TestDiagRequestLayout(t *testing.T) {
	r := DiagRequest{Type: SockDestroy, Flags: FlagRequest | FlagAck, Seq: 9, Protocol: 6, States: 1 << TimeWait,
		Local: netip.MustParseAddrPort("127.0.0.1:8080"), Remote: netip.MustParseAddrPort("127.0.0.2:50000"), Cookie: 0xAABBCCDD00112233}
	b := r.Marshal()
	if len(b) != nlmsgHdrLen+diagReqLen || ne.Uint32(b) != uint32(len(b)) || ne.Uint16(b[4:]) != SockDestroy || ne.Uint16(b[6:]) != 5 || ne.Uint32(b[8:]) != 9 {
		t.Fatalf("header: % x", b[:nlmsgHdrLen])
	}
	req := b[nlmsgHdrLen:]
	if req[0] != afInet || req[1] != 6 || ne.Uint32(req[4:]) != 1<<6 {
		t.Errorf("family/protocol/states: % x", req[:8])
	}
	id := req[8:]
	if binary.BigEndian.Uint16(id[0:]) != 8080 || binary.BigEndian.Uint16(id[2:]) != 50000 ||
		[4]byte(id[4:8]) != [4]byte{127, 0, 0, 1} || [4]byte(id[20:24]) != [4]byte{127, 0, 0, 2} ||
		ne.Uint32(id[40:]) != 0x00112233 || ne.Uint32(id[44:]) != 0xAABBCCDD {
		t.Errorf("sockid: % x", id[:48])
	}
	// A dump filtered by port carries a bytecode attribute: S_EQ port.
	d := DiagRequest{Type: SockDiagByFamily, Flags: FlagRequest | FlagDump, LocalPort: 4242}.Marshal()
	attr := d[nlmsgHdrLen+diagReqLen:]
	if len(attr) != 12 || ne.Uint16(attr) != 12 || ne.Uint16(attr[2:]) != attrReqBytecode ||
		attr[4] != bcSEq || attr[5] != 8 || ne.Uint16(attr[6:]) != 12 || ne.Uint16(attr[10:]) != 4242 {
		t.Errorf("bytecode: % x", attr)
	}
}

// TestParseDiagMsgReadsV6Only: the INET_DIAG_SKV6ONLY attribute tells a
// dual-stack socket from an IPv6-only one.
func TestParseDiagMsgReadsV6Only(t *testing.T) {
	msg := diagReply(1, afInet6, uint8(Listen), netip.MustParseAddrPort("[::]:80"), netip.MustParseAddrPort("[::]:0"), 1, 0, 0)
	for v6only, dual := range map[byte]bool{0: true, 1: false} {
		payload := append(append([]byte(nil), msg[nlmsgHdrLen:]...), 5, 0, attrSkV6Only, 0, v6only, 0, 0, 0)
		e, err := ParseDiagMsg("tcp", payload)
		if err != nil || e.DualStack != dual {
			t.Errorf("v6only=%d: dual-stack %v, err %v", v6only, e.DualStack, err)
		}
	}
	bad := append(append([]byte(nil), msg[nlmsgHdrLen:]...), 99, 0, attrSkV6Only, 0)
	if _, err := ParseDiagMsg("tcp", bad); !errors.Is(err, ErrTruncated) {
		t.Errorf("an attribute longer than the message: %v", err)
	}
}
