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
// is another program's.
func TestOthersAreThoseNoAuditedSocketAccountsFor(t *testing.T) {
	tcp := func(addr string, pids ...int) inventory.Socket {
		return inventory.Socket{Proto: matrix.TCP, Local: netip.MustParseAddrPort(addr), PIDs: pids}
	}
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
		{"another protocol", []inventory.Socket{{Proto: matrix.UDP, Local: netip.MustParseAddrPort("0.0.0.0:80")}}, []inventory.Socket{tcp("0.0.0.0:80")}, 1, "0.0.0.0:80"},
	} {
		others := notAmong(tc.listed, tc.audited)
		if len(others) != tc.wantOthers || len(others) > 0 && others[0].Local.String() != tc.wantOtherAddress {
			t.Errorf("%s: others %+v, want %d (%s)", tc.name, others, tc.wantOthers, tc.wantOtherAddress)
		}
	}
}
