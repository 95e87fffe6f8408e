package audit

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/bindmatrix/bindmatrix/internal/inventory"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// TestOnlyTheServersSocketsAreAttacked: the sockets taken for the server's
// are those its processes hold or, only where the OS records no owner at
// all (Wine), those that appeared since it started. A socket whose
// recorded owner was not found is someone else's: CI once saw the audit of
// a Python server attack another test's UDP socket, listed while it was
// closing, because no socket then had a holder found. Nor is a socket the
// audit holds too (pid 1 here), which the server inherited from it; and
// rows merged on one address keep only the server's holders.
func TestOnlyTheServersSocketsAreAttacked(t *testing.T) {
	udp := func(port uint16) inventory.Socket {
		return inventory.Socket{Proto: matrix.UDP, Local: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port), Family: matrix.SockIPv4}
	}
	notFound, unrecorded, earlier := udp(50231), udp(50232), udp(50233)
	notFound.Unknown = "its holder was not found among the processes' descriptors"
	unrecorded.Unknown, unrecorded.Unrecorded = "the table names no owning process", true
	earlier.Unknown, earlier.Unrecorded = "the table names no owning process", true
	held, other, inherited, merged := udp(50234), udp(50235), udp(50236), udp(50237)
	held.PIDs, other.PIDs, inherited.PIDs = []int{20, 30}, []int{40}, []int{1, 30}
	merged.PIDs, merged.Merged = []int{10, 40}, true

	if noOwnerRecorded([]inventory.Socket{notFound}) {
		t.Errorf("a socket whose holder was not found counts as one whose owner the OS does not record")
	}
	if !noOwnerRecorded([]inventory.Socket{unrecorded, earlier}) || !noOwnerRecorded(nil) {
		t.Errorf("sockets without recorded owners (or none) do not count as such")
	}
	if noOwnerRecorded([]inventory.Socket{unrecorded, held}) {
		t.Errorf("a list with a recorded owner counts as one without")
	}

	got := appearedSince([]inventory.Socket{unrecorded, earlier}, []inventory.Socket{earlier}, "srv")
	if len(got) != 1 || got[0].Local != unrecorded.Local || got[0].Command != "srv" {
		t.Errorf("appeared since: %+v, want only %v, as srv's", got, unrecorded.Local)
	}
	mergedHeld := merged
	mergedHeld.PIDs = []int{10}
	if diff := cmp.Diff([]inventory.Socket{held, mergedHeld}, heldBy([]inventory.Socket{notFound, held, other, inherited, merged}, []int{10, 30}, 1),
		cmpopts.EquateComparable(netip.AddrPort{})); diff != "" {
		t.Errorf("held by the tree (-want +got):\n%s", diff)
	}
}
