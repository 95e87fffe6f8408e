package model

import (
	"slices"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// A Deviation is a kernel release that answers an arrangement otherwise
// than the model: a bug, with the arrangement that shows it at its
// smallest. The model never follows a deviation; the lane and the explorer
// report a kernel's deviations by observing them.
type Deviation struct {
	Name        string
	Arrangement string         // the smallest arrangement that shows it, in try notation
	Buggy       matrix.Outcome // what an affected kernel answers for the probe
	Kernels     string         // which releases, as far as it is known
	Fix         string         // the upstream fix, where known
	Evidence    string         // documented (a commit message, a CVE), reported (a run elsewhere), observed (this harness)
	// Quirk, when set, is the deviation as a switch of the model
	// (PredictWith): the explorer names a disagreement the quirk explains.
	Quirk Quirk
	// ObservedOn lists the kernel releases this harness saw it on (the
	// QEMU lane's pinned kernels, and the development machine's).
	ObservedOn []string
}

// Quirk is a deviation's behaviour, for PredictWith.
type Quirk string

const (
	// QuirkUDPChecksAll: a UDP bind is refused by any overlapping socket
	// it cannot pass; a same-user SO_REUSEPORT socket earlier in the
	// chain does not end the check.
	QuirkUDPChecksAll Quirk = "udp-reuseport-checks-all"
	// QuirkUDPHash2Wildcard: with more than ten UDP sockets on the port's
	// hash slot, a wildcard bind meets only wildcard sockets.
	QuirkUDPHash2Wildcard Quirk = "udp-hash2-wildcard"
	// QuirkMappedWildcard: a TCP socket on the v4-mapped wildcard and one
	// on a v4-mapped address pass each other.
	QuirkMappedWildcard Quirk = "v4mapped-wildcard-mapped"
)

// Quirks lists every quirk, for the explorer to try.
var Quirks = []Quirk{QuirkUDPChecksAll, QuirkUDPHash2Wildcard, QuirkMappedWildcard}

// Explains returns the deviation whose quirk predicts observed exactly
// for a, if one does; one seen on kernel release before comes first.
func Explains(a matrix.Arrangement, observed []matrix.Outcome, release string) (Deviation, bool) {
	known := slices.Clone(Deviations)
	slices.SortStableFunc(known, func(x, y Deviation) int {
		switch {
		case x.Known(release) && !y.Known(release):
			return -1
		case y.Known(release) && !x.Known(release):
			return 1
		}
		return 0
	})
	for _, d := range known {
		if d.Quirk == "" {
			continue
		}
		steps := PredictWith(a, d.Quirk)
		if len(steps) < len(observed) {
			continue
		}
		same := true
		for i, o := range observed {
			same = same && steps[i].Outcome == o
		}
		if same {
			return d, true
		}
	}
	return Deviation{}, false
}

// DeviationNamed finds a deviation by name.
func DeviationNamed(name string) (Deviation, bool) {
	i := slices.IndexFunc(Deviations, func(d Deviation) bool { return d.Name == name })
	if i < 0 {
		return Deviation{}, false
	}
	return Deviations[i], true
}

// Known says whether this harness saw deviation d on kernel release.
func (d Deviation) Known(release string) bool { return slices.Contains(d.ObservedOn, release) }

// Deviations are the bind() bugs this model knows of. Every entry is a
// claim (documented or reported), not an observation: the QEMU lane
// observes which a kernel has.
var Deviations = []Deviation{
	{Name: "timewait-not-in-bhash2",
		Arrangement: "tcp 127.0.0.1 time_wait; tcp 127.0.0.1", Buggy: matrix.OK,
		Kernels: "v6.1 (bhash2, 28044fc1d495) until the fix", Fix: "936a192f9740 tcp: Add TIME_WAIT sockets in bhash2",
		Evidence: "documented: the fix's commit message and tools/testing/selftests/net/bind_timewait.c"},
	{Name: "dualstack-wildcard",
		Arrangement: "tcp :: dualstack listening; tcp 0.0.0.0", Buggy: matrix.OK,
		Kernels: "v6.1 until the fix", Fix: "d9ba99342855 tcp: Fix bind() conflict check for dual-stack wildcard address",
		Evidence: "documented: the fix's commit message"},
	{Name: "v4mapped-specific",
		Arrangement: "tcp 127.0.0.1; tcp ::ffff:127.0.0.1 dualstack", Buggy: matrix.OK,
		Kernels: "v6.1 until the fix", Fix: "c48ef9c4aed3 tcp: Fix bind() regression for v4-mapped-v6 non-wildcard address",
		Evidence: "documented: the fix's commit message"},
	{Name: "v4mapped-wildcard",
		Arrangement: "tcp ::ffff:0.0.0.0 dualstack; tcp 127.0.0.1", Buggy: matrix.OK,
		Kernels: "v6.1 until the fix", Fix: "aa99e5f87bd5 tcp: Fix bind() regression for v4-mapped-v6 wildcard address",
		Evidence: "documented: the fix's commit message"},
	{Name: "v6only-wildcard-v4mapped",
		Arrangement: "tcp :: v6only; tcp ::ffff:127.0.0.1 dualstack", Buggy: matrix.Failed("bind", "EADDRINUSE"),
		Kernels: "v6.1 until the fix", Fix: "ea111449501e tcp: Fix bind() regression for v6-only wildcard address",
		Evidence: "documented: the fix's commit message"},
	{Name: "v4-wildcard-v6only-wildcard-v4",
		Arrangement: "tcp 0.0.0.0; tcp :: v6only; tcp 127.0.0.1", Buggy: matrix.OK,
		Kernels: "v6.1 until the fix", Fix: "d91ef1e1b55f tcp: Fix bind() conflict check for IPv4 and IPv6 wildcard",
		Evidence: "documented: the fix's commit message"},
	{Name: "udp-hash2-wildcard",
		Arrangement: "udp 127.0.0.1..127.0.0.11; udp 0.0.0.0", Buggy: matrix.OK,
		Kernels:  "since UDP's hash2 bind check; fixed in 6.1.168, 6.6.131, 6.12.80, 6.18.21",
		Fix:      "CVE-2026-31503 udp: Fix wildcard bind conflict check when using hash2",
		Evidence: "documented: the CVE; observed here on Debian 11's 5.10.0-32-cloud-amd64 (QEMU lane); its canary 5.10.0-46 (bullseye-security) refuses the probe as mainline does (2026-12-06)",
		Quirk:    QuirkUDPHash2Wildcard, ObservedOn: []string{"5.10.0-32-cloud-amd64"}},
	{Name: "v4mapped-wildcard-mapped",
		Arrangement: "tcp ::ffff:0.0.0.0 dualstack; tcp ::ffff:127.0.0.1 dualstack", Buggy: matrix.OK,
		Kernels: "Debian 12's 6.1.0-50 and 6.1.0-57 cloud kernels (6.1.176 and later); 5.10 and 6.12 refuse it",
		Fix:     "not identified: aa99e5f87bd5's own arrangement (::ffff:0.0.0.0 then 127.0.0.1) is refused on these kernels",
		Evidence: "observed here (QEMU lane): any user, listening or bound, so another user with no option can take " +
			"127.0.0.1's connections from a listener on ::ffff:0.0.0.0; reported first with another user's listener (../shared/FACTS.md)",
		Quirk: QuirkMappedWildcard, ObservedOn: []string{"6.1.0-50-cloud-amd64", "6.1.0-57-cloud-amd64"}},
	{Name: "udp-reuseport-checks-all",
		Arrangement: "udp 127.0.0.1; udp 127.0.0.20 SO_REUSEPORT; udp 0.0.0.0 SO_REUSEPORT", Buggy: matrix.Failed("bind", "EADDRINUSE"),
		Kernels: "the development machine's 6.18.44-fc-v1300; 5.10.0-32, 6.1.0-50, 6.1.0-57 and 6.12.117 end the check as the model does",
		Fix:     "not identified: udp_lib_lport_inuse() reads the same in 6.12 and in a 6.17-era mainline",
		Evidence: "observed here: a same-user SO_REUSEPORT socket earlier in the chain does not end the check; every " +
			"overlapping socket must be passed. Whether this is mainline's intent or a change of that kernel is not known: " +
			"the model follows the source it can cite",
		Quirk: QuirkUDPChecksAll, ObservedOn: []string{"6.18.44-fc-v1300"}},
}
