package audit

import (
	"net/netip"
	"testing"

	"github.com/bindmatrix/bindmatrix/internal/inventory"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// TestOthersAreThoseNoAuditedSocketAccountsFor: a listed socket is the
// audited one when it has its address and a holder in common (a forking
// server's workers change); one audited socket accounts for one listed
// socket, so where owners are not recorded a second socket on the address
// is another program's. Rows merged on one address (lsof, sockstat) are
// ours only if every holder is.
func TestOthersAreThoseNoAuditedSocketAccountsFor(t *testing.T) {
	tcp := func(addr string, pids ...int) inventory.Socket {
		return inventory.Socket{Proto: matrix.TCP, Local: netip.MustParseAddrPort(addr), PIDs: pids}
	}
	merged := func(addr string, pids ...int) inventory.Socket {
		s := tcp(addr, pids...)
		s.Merged = true
		return s
	}
	unrecorded := tcp("0.0.0.0:80")
	unrecorded.Unrecorded = true
	for _, tc := range []struct {
		name             string
		listed, audited  []inventory.Socket
		wantOthers       int
		wantOtherAddress string
	}{
		{"a worker came and went", []inventory.Socket{tcp("0.0.0.0:80", 10, 12)}, []inventory.Socket{tcp("0.0.0.0:80", 10, 11)}, 0, ""},
		{"a more specific socket beside", []inventory.Socket{tcp("0.0.0.0:80", 10), tcp("127.0.0.1:80", 20)}, []inventory.Socket{tcp("0.0.0.0:80", 10)}, 1, "127.0.0.1:80"},
		{"a joiner of another process", []inventory.Socket{tcp("0.0.0.0:80", 10), tcp("0.0.0.0:80", 20)}, []inventory.Socket{tcp("0.0.0.0:80", 10)}, 1, "0.0.0.0:80"},
		{"owners unrecorded, one each", []inventory.Socket{tcp("[::]:80"), tcp("0.0.0.0:80")}, []inventory.Socket{tcp("0.0.0.0:80"), tcp("[::]:80")}, 0, ""},
		{"owners unrecorded, one more", []inventory.Socket{tcp("0.0.0.0:80"), tcp("0.0.0.0:80")}, []inventory.Socket{tcp("0.0.0.0:80")}, 1, "0.0.0.0:80"},
		{"v4-mapped, listed as IPv4 (BSD)", []inventory.Socket{tcp("127.0.0.1:80", 5)}, []inventory.Socket{tcp("[::ffff:127.0.0.1]:80", 5)}, 0, ""},
		{"the newcomer, owners unrecorded", []inventory.Socket{unrecorded}, []inventory.Socket{tcp("0.0.0.0:80", 5)}, 0, ""},
		{"merged rows with a stranger", []inventory.Socket{merged("0.0.0.0:80", 10, 20)}, []inventory.Socket{tcp("0.0.0.0:80", 10)}, 1, "0.0.0.0:80"},
		{"merged rows of the server and the newcomer", []inventory.Socket{merged("0.0.0.0:80", 5, 10)}, []inventory.Socket{tcp("0.0.0.0:80", 10), tcp("0.0.0.0:80", 5)}, 0, ""},
		{"another protocol", []inventory.Socket{{Proto: matrix.UDP, Local: netip.MustParseAddrPort("0.0.0.0:80")}}, []inventory.Socket{tcp("0.0.0.0:80")}, 1, "0.0.0.0:80"},
	} {
		others := notAmong(tc.listed, tc.audited)
		if len(others) != tc.wantOthers || len(others) > 0 && others[0].Local.String() != tc.wantOtherAddress {
			t.Errorf("%s: others %+v, want %d (%s)", tc.name, others, tc.wantOthers, tc.wantOtherAddress)
		}
	}
}

// TestIdenticalSockets: a listing names the same socket by cookie or inode
// where the OS gives them (one closed and bound again is another), else by
// address and a holder in common, and rows that may be several sockets by
// the same holders.
func TestIdenticalSockets(t *testing.T) {
	at := netip.MustParseAddrPort("127.0.0.1:80")
	sock := func(inode uint64, merged bool, pids ...int) inventory.Socket {
		return inventory.Socket{Proto: matrix.TCP, Local: at, Inode: inode, Merged: merged, PIDs: pids}
	}
	for _, tc := range []struct {
		name string
		a, b inventory.Socket
		want bool
	}{
		{"same inode, holders changed", sock(7, false, 1), sock(7, false, 2), true},
		{"bound again on the address", sock(7, false, 1), sock(8, false, 1), false},
		{"a worker came", sock(0, false, 1), sock(0, false, 1, 2), true},
		{"another holder altogether", sock(0, false, 1), sock(0, false, 2), false},
		{"merged rows gained a holder", sock(0, true, 1), sock(0, true, 1, 2), false},
		{"no holder recorded", sock(0, false), sock(0, false, 2), true},
	} {
		if got := identical(tc.a, tc.b); got != tc.want {
			t.Errorf("%s: identical %v, want %v", tc.name, got, tc.want)
		}
	}
}
