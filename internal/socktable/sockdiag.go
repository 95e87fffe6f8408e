package socktable

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// The sock_diag netlink format (include/uapi/linux/netlink.h, sock_diag.h,
// inet_diag.h). The values are fixed by the kernel's ABI on every Linux
// architecture; multi-byte fields are in the host's byte order except the
// ports and addresses of inet_diag_sockid, which are in network order.
const (
	nlmsgHdrLen = 16
	nlmsgError  = 2
	nlmsgDone   = 3

	// SockDiagByFamily asks about (or dumps) sockets of one family.
	SockDiagByFamily = 20
	// SockDestroy asks the kernel to abort a socket (CAP_NET_ADMIN).
	SockDestroy = 21

	FlagRequest = 0x1
	FlagAck     = 0x4
	FlagDump    = 0x300 // NLM_F_ROOT | NLM_F_MATCH

	diagReqLen = 56 // struct inet_diag_req_v2
	diagMsgLen = 72 // struct inet_diag_msg

	// NoCookie asks about a socket by its addresses alone.
	NoCookie = ^uint64(0)

	attrReqBytecode = 1  // INET_DIAG_REQ_BYTECODE
	bcSEq           = 11 // INET_DIAG_BC_S_EQ: source (local) port equals
	attrSkV6Only    = 11 // INET_DIAG_SKV6ONLY, sent with every AF_INET6 socket
)

// AF_INET and AF_INET6 as Linux numbers them.
const (
	afInet  = 2
	afInet6 = 10
)

var ne = binary.NativeEndian

// DiagRequest is one inet_diag_req_v2 in a netlink message.
type DiagRequest struct {
	Type     uint16 // SockDiagByFamily or SockDestroy
	Flags    uint16 // FlagRequest, with FlagAck or FlagDump
	Seq      uint32
	IPv6     bool   // the family asked about
	Protocol uint8  // IPPROTO_TCP (6) or IPPROTO_UDP (17)
	States   uint32 // a bit per TCPState; all ones for every state
	Local    netip.AddrPort
	Remote   netip.AddrPort
	Cookie   uint64 // NoCookie, or the cookie of the one socket meant
	// LocalPort, when not zero, adds a filter to a dump: only sockets
	// whose local port it is.
	LocalPort uint16
}

// Marshal encodes the request as the kernel reads it.
func (r DiagRequest) Marshal() []byte {
	var filter []byte
	if r.LocalPort != 0 {
		// Two inet_diag_bc_op: {S_EQ, yes=8, no=12} then {0, 0, port}: a
		// match jumps past the program's end (accept), a miss beyond it
		// by 4 more (reject).
		filter = make([]byte, 4+8)
		ne.PutUint16(filter[0:], uint16(len(filter)))
		ne.PutUint16(filter[2:], attrReqBytecode)
		op := filter[4:]
		op[0], op[1] = bcSEq, 8
		ne.PutUint16(op[2:], 12)
		ne.PutUint16(op[6:], r.LocalPort)
	}
	b := make([]byte, nlmsgHdrLen+diagReqLen+len(filter))
	ne.PutUint32(b[0:], uint32(len(b)))
	ne.PutUint16(b[4:], r.Type)
	ne.PutUint16(b[6:], r.Flags)
	ne.PutUint32(b[8:], r.Seq)
	req := b[nlmsgHdrLen:]
	req[0] = afInet
	if r.IPv6 {
		req[0] = afInet6
	}
	req[1] = r.Protocol
	ne.PutUint32(req[4:], r.States)
	id := req[8:56]
	binary.BigEndian.PutUint16(id[0:], r.Local.Port())
	binary.BigEndian.PutUint16(id[2:], r.Remote.Port())
	putDiagAddr(id[4:20], r.Local.Addr())
	putDiagAddr(id[20:36], r.Remote.Addr())
	ne.PutUint32(id[40:], uint32(r.Cookie))
	ne.PutUint32(id[44:], uint32(r.Cookie>>32))
	copy(b[nlmsgHdrLen+diagReqLen:], filter)
	return b
}

// putDiagAddr writes an address as inet_diag_sockid holds it: IPv4 in the
// first four bytes, IPv6 in all sixteen.
func putDiagAddr(dst []byte, a netip.Addr) {
	if !a.IsValid() {
		return
	}
	if a.Is4() {
		b := a.As4()
		copy(dst, b[:])
		return
	}
	b := a.As16()
	copy(dst, b[:])
}

// NetlinkMessage is one message of a netlink reply.
type NetlinkMessage struct {
	Type  uint16
	Flags uint16
	Seq   uint32
	// Errno is the error number an NLMSG_ERROR message carries, positive
	// as errno values are (the kernel sends it negated); 0 for an
	// acknowledgement. For NLMSG_DONE, the dump's status.
	Errno   int32
	Payload []byte
}

// Done says the message ends a dump.
func (m NetlinkMessage) Done() bool { return m.Type == nlmsgDone }

// IsError says the message is an NLMSG_ERROR (an error or an ack).
func (m NetlinkMessage) IsError() bool { return m.Type == nlmsgError }

// ErrTruncated says a netlink reply ends inside a message.
var ErrTruncated = errors.New("netlink: truncated message")

// ParseNetlink splits a datagram from a netlink socket into its messages.
func ParseNetlink(b []byte) ([]NetlinkMessage, error) {
	var msgs []NetlinkMessage
	for len(b) > 0 {
		if len(b) < nlmsgHdrLen {
			return msgs, fmt.Errorf("%w: %d bytes left, a header needs %d", ErrTruncated, len(b), nlmsgHdrLen)
		}
		size := int(ne.Uint32(b[0:]))
		if size < nlmsgHdrLen || size > len(b) {
			return msgs, fmt.Errorf("%w: length %d with %d bytes left", ErrTruncated, size, len(b))
		}
		m := NetlinkMessage{Type: ne.Uint16(b[4:]), Flags: ne.Uint16(b[6:]), Seq: ne.Uint32(b[8:]), Payload: b[nlmsgHdrLen:size]}
		if m.Type == nlmsgError || m.Type == nlmsgDone {
			if len(m.Payload) < 4 {
				if m.Type == nlmsgError {
					return msgs, fmt.Errorf("%w: an error message without its code", ErrTruncated)
				}
			} else {
				m.Errno = -int32(ne.Uint32(m.Payload))
			}
		}
		msgs = append(msgs, m)
		b = b[min(len(b), (size+3)&^3):] // messages are 4-byte aligned
	}
	return msgs, nil
}

// ParseDiagMsg decodes an inet_diag_msg: the socket's family, state,
// addresses, owner and cookie.
func ParseDiagMsg(proto string, b []byte) (Entry, error) {
	if len(b) < diagMsgLen {
		return Entry{}, fmt.Errorf("%w: inet_diag_msg of %d bytes, want %d", ErrTruncated, len(b), diagMsgLen)
	}
	family := b[0]
	if family != afInet && family != afInet6 {
		return Entry{}, fmt.Errorf("inet_diag_msg: family %d is neither AF_INET nor AF_INET6", family)
	}
	id := b[4:52]
	addr := func(raw []byte) netip.Addr {
		if family == afInet {
			return netip.AddrFrom4([4]byte(raw[:4]))
		}
		return netip.AddrFrom16([16]byte(raw[:16]))
	}
	e := Entry{
		Proto:  proto,
		State:  TCPState(b[1]),
		Local:  netip.AddrPortFrom(addr(id[4:20]), binary.BigEndian.Uint16(id[0:])),
		Remote: netip.AddrPortFrom(addr(id[20:36]), binary.BigEndian.Uint16(id[2:])),
		Cookie: uint64(ne.Uint32(id[40:])) | uint64(ne.Uint32(id[44:]))<<32,
		UID:    int(ne.Uint32(b[64:])),
		Inode:  uint64(ne.Uint32(b[68:])),
		PID:    -1,
	}
	// Attributes follow, each {len, type, value} padded to 4 bytes; an IPv6
	// socket's says whether it is IPv6-only.
	for attrs := b[diagMsgLen:]; len(attrs) >= 4; {
		size := int(ne.Uint16(attrs[0:]))
		if size < 4 || size > len(attrs) {
			return Entry{}, fmt.Errorf("%w: attribute of %d bytes with %d left", ErrTruncated, size, len(attrs))
		}
		if ne.Uint16(attrs[2:]) == attrSkV6Only && size >= 5 && family == afInet6 {
			e.DualStack = attrs[4] == 0
		}
		attrs = attrs[min(len(attrs), (size+3)&^3):]
	}
	return e, nil
}
