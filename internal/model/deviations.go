package model

import "github.com/bindmatrix/bindmatrix/matrix"

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
	Evidence    string         // documented (a commit message, a CVE) or reported (a run elsewhere)
}

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
		Kernels:  "since UDP's hash2 bind check; fixed in 6.1.168, 6.6.131, 6.12.80, 6.18.21; Debian 11's 5.10.0-32-cloud-amd64 still affected",
		Fix:      "CVE-2026-31503 udp: Fix wildcard bind conflict check when using hash2",
		Evidence: "documented: the CVE; reported: a run on Debian 11's 5.10 cloud kernel (../shared/FACTS.md)"},
	{Name: "debian12-v4mapped-other-user",
		Arrangement: "tcp ::ffff:0.0.0.0 dualstack listening; tcp ::ffff:127.0.0.1 dualstack other-user", Buggy: matrix.OK,
		Kernels:  "Debian 12's 6.1.0-50 and 6.1.0-57 cloud kernels (5.10 and 6.12 refuse it)",
		Fix:      "not identified",
		Evidence: "reported: runs on Debian 12's cloud kernels (../shared/FACTS.md)"},
}
