package explore

import (
	"net/netip"
	"slices"
	"sync"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// maxShrinkRuns bounds the runs a shrink may make: each candidate costs
// `reproductions` runs on fresh ports.
const maxShrinkRuns = 200

// shrink makes a disagreeing arrangement smaller while it still disagrees
// (still runs a candidate and says so): the sockets after the disagreeing
// one go first, then whole clauses, halves and ends of ranges, options,
// states other than bound (the probe's too: its bind may be the answer),
// and owners other than this process. Greedy,
// in a fixed order, so the same disagreement shrinks the same way.
func shrink(a matrix.Arrangement, v verdict, still func(matrix.Arrangement) (verdict, bool)) (matrix.Arrangement, verdict) {
	a = upTo(a, v.socket)
	if cut, ok := still(a); ok {
		v = cut
	}
	for runs := 0; runs < maxShrinkRuns; {
		progressed := false
		for _, c := range candidates(a) {
			runs++
			if cv, ok := still(c); ok {
				a, v, progressed = c, cv, true
				a = upTo(a, v.socket)
				break
			}
			if runs >= maxShrinkRuns {
				break
			}
		}
		if !progressed {
			break
		}
	}
	return a, v
}

// upTo is a cut after socket k: the sockets made later cannot have
// changed its answer. A range that holds k ends just before it, and k
// becomes the probe.
func upTo(a matrix.Arrangement, k int) matrix.Arrangement {
	var out matrix.Arrangement
	n := 0
	for _, c := range a.Clauses {
		count := c.Count()
		if n+count <= k {
			out.Clauses = append(out.Clauses, c)
			n += count
			continue
		}
		if c.Last.IsValid() {
			probe := c
			probe.Last = netip4Zero
			probe.Addr = nth(c.Addr, k-n)
			if k > n {
				before := c
				before.Last = nth(c.Addr, k-n-1)
				if before.Last == before.Addr {
					before.Last = netip4Zero
				}
				out.Clauses = append(out.Clauses, before)
			}
			c = probe
		}
		out.Clauses = append(out.Clauses, c)
		break
	}
	return out
}

// candidates are the one-step simplifications of a, smallest first.
func candidates(a matrix.Arrangement) []matrix.Arrangement {
	var out []matrix.Arrangement
	last := len(a.Clauses) - 1
	with := func(i int, c matrix.Clause) matrix.Arrangement {
		b := matrix.Arrangement{Clauses: slices.Clone(a.Clauses)}
		b.Clauses[i] = c
		return b
	}
	for i := range a.Clauses[:last] {
		out = append(out, matrix.Arrangement{Clauses: slices.Delete(slices.Clone(a.Clauses), i, i+1)})
	}
	for i, c := range a.Clauses {
		if c.Last.IsValid() {
			n := c.Count()
			half := c
			half.Addr = nth(c.Addr, n/2)
			if half.Addr == half.Last {
				half.Last = netip4Zero
			}
			shorter := c
			shorter.Last = nth(c.Addr, n-2)
			if shorter.Last == shorter.Addr {
				shorter.Last = netip4Zero
			}
			out = append(out, with(i, half), with(i, shorter))
		}
		for j := range c.Options {
			d := c
			d.Options = slices.Delete(slices.Clone(c.Options), j, j+1)
			out = append(out, with(i, d))
		}
		if c.State != matrix.Bound {
			d := c
			d.State = matrix.Bound
			out = append(out, with(i, d))
		}
		if c.Owner != matrix.SameProcess {
			d := c
			d.Owner = matrix.SameProcess
			out = append(out, with(i, d))
		}
	}
	return out
}

// budget counts the runs that left TIME_WAIT entries no one could remove.
type budget struct {
	mu         sync.Mutex
	max, spent int
}

func newBudget(max int) *budget { return &budget{max: max} }

// take says whether an arrangement that holds connections may run.
func (b *budget) take() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.max < 0 || b.spent < b.max
}

// spend records a run that tainted its port.
func (b *budget) spend() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.spent++
}

// netip4Zero is no address: a clause whose Last is it is one socket.
var netip4Zero netip.Addr

// nth is the address k after a.
func nth(a netip.Addr, k int) netip.Addr {
	for range k {
		a = a.Next()
	}
	return a
}
