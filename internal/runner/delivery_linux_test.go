package runner

import (
	"fmt"
	"testing"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// TestReusePortSharesTraffic: two Linux listeners that both set
// SO_REUSEPORT on the same address share the connections (socket(7)); with
// a specific and a wildcard socket the kernel prefers the specific one.
// Run in this process and with the second socket in a helper process.
func TestReusePortSharesTraffic(t *testing.T) {
	for _, proc := range []matrix.Process{matrix.SameProcess, matrix.OtherProcess} {
		for _, tc := range []struct {
			first, second matrix.AddrKind
			want          matrix.Delivery
		}{
			{matrix.Specific, matrix.Specific, matrix.DeliveredBoth},
			{matrix.Wildcard, matrix.Wildcard, matrix.DeliveredBoth},
			{matrix.Specific, matrix.Wildcard, matrix.DeliveredFirst},
			{matrix.Wildcard, matrix.Specific, matrix.DeliveredSecond},
		} {
			c := matrix.NewCell(matrix.TCP, matrix.IPv4, matrix.Listening, tc.first, tc.second, matrix.ReusePort, matrix.ReusePort)
			c.Process = proc
			t.Run(c.Name(), func(t *testing.T) {
				r := testWorker(t).runCell(c)
				if r.Outcome != matrix.OK || r.Delivery != tc.want {
					t.Errorf("outcome %s delivery %q, want ok and %q (%s)", r.Outcome, r.Delivery, tc.want, r.Note)
				}
			})
		}
	}
}

// TestDeliveryCountsEveryConnection: the counts in the note add up to what
// was sent, so a verdict never rests on a partial count; a shared port stops
// the check as soon as both sockets have received.
func TestDeliveryCountsEveryConnection(t *testing.T) {
	c := matrix.NewCell(matrix.UDP, matrix.IPv6, matrix.Bound, matrix.Wildcard, matrix.Wildcard, matrix.ReusePort, matrix.ReusePort)
	r := testWorker(t).runCell(c)
	if r.Outcome != matrix.OK || r.Delivery != matrix.DeliveredBoth {
		t.Fatalf("outcome %s delivery %q: %s", r.Outcome, r.Delivery, r.Note)
	}
	var toFirst, toSecond, sent int
	var target string
	if _, err := fmt.Sscanf(r.Note, "delivery to %s %d of %d sent reached the first socket, %d the second", &target, &toFirst, &sent, &toSecond); err != nil {
		t.Fatalf("note %q: %v", r.Note, err)
	}
	if sent > deliveryCount || toFirst+toSecond != sent || toFirst == 0 || toSecond == 0 {
		t.Errorf("note %q: %d+%d received of %d sent, want all of at most %d, some to each", r.Note, toFirst, toSecond, sent, deliveryCount)
	}
}
