package matrix

import (
	"fmt"
	"slices"
)

// PlatformFacts is one row of the platform registry: what bindmatrix knows
// about a platform that its code and documents ask by name. Every list of
// platform names (the bind and runtime tables' columns, the options of a
// platform's matrix, whether other-user cells exist, an audit's fix texts,
// the lanes) reads this registry; docs/adding-an-os.md lists the files a
// new row needs besides.
type PlatformFacts struct {
	// Name is the platform's name: an observation's platform name and the
	// expected table's, matrix/expected/NAME.txt.
	Name string
	// GOOS is what a build for the platform targets ("windows" for wine).
	GOOS string
	// Options are options of the platform's own, which join its matrix
	// beside the four every platform's has (see OptionsOn).
	Options []Option
	// OtherUser says a helper can run as another user, so that the
	// other-user cells exist: on the Unix ones, as root. Windows would need
	// the account's password.
	OtherUser bool
	// Cross says the platform's default matrix has the cross cells (see
	// Family): where no source covers them, its table scopes them out
	// instead of holding thousands of unknown lines, and -only family=cross
	// still runs them.
	Cross bool
	// BindColumn and RuntimeColumn place the platform among the columns of
	// docs/bind-table.md and docs/runtime-table.md, from 1; 0 puts a bind
	// table column after the placed ones, by name, and leaves the platform
	// out of the runtime table.
	BindColumn, RuntimeColumn int
	// Fixes say how to make a socket an audit found hijackable exclusive,
	// one per cause, each citing its source.
	Fixes []Fix
	// Settings are host settings some cells need.
	Settings []Setting
}

// Fix is one way to make a hijackable socket exclusive on a platform: an
// audit gives it when one of the attempts that took the socket's traffic
// set an option in Took (when Took is empty: always), and the socket's
// protocol is in Protos (when Protos is empty: either).
type Fix struct {
	Took   []Option
	Protos []Proto
	Text   string
}

// Applies says whether an audit gives the fix for socket s.
func (f Fix) Applies(s AuditSocket) bool {
	if len(f.Protos) > 0 && !slices.Contains(f.Protos, s.Proto) {
		return false
	}
	return len(f.Took) == 0 || slices.ContainsFunc(s.Attempts, func(a Attempt) bool {
		return a.Took() && slices.Contains(f.Took, a.Option)
	})
}

// Setting is a numeric sysctl that keeps State from being reached unless it
// holds Want. A witness that can read it names it when a cell of that state
// goes unreached (see internal/witness).
type Setting struct {
	Sysctl string
	Want   uint32
	State  State
	Why    string // what the kernel does otherwise, with the source
}

// Note says, for a host where the setting holds have, why State is not
// reached and how to reach it.
func (s Setting) Note(have uint32) string {
	return fmt.Sprintf("%s=%d: %s; `sysctl %s=%d`, as root, lets the %s cells be reached", s.Sysctl, have, s.Why, s.Sysctl, s.Want, s.State)
}

// The fix texts shared by several platforms.
var (
	windowsFixes = []Fix{
		{Text: "set SO_EXCLUSIVEADDRUSE on the socket before bind (Go: a net.ListenConfig Control that sets it; .NET: ExclusiveAddressUse = true; Java does by default): without it another process of the same user may bind the port with SO_REUSEADDR, or a more specific address, and take the connections (Microsoft Learn, \"Using SO_REUSEADDR and SO_EXCLUSIVEADDRUSE\")"},
	}
	// bsdFixes hold for macOS and the BSDs, whose in_pcb.c descends from
	// the same 4.4BSD code.
	bsdFixes = []Fix{
		{Took: []Option{ReusePort, ReusePortLB}, Text: "drop SO_REUSEPORT: a socket of the same user that sets it too may bind the same address and share the port (setsockopt(2), in_pcb.c)"},
		{Took: []Option{ReuseAddr, ReusePort}, Text: "listen on the specific addresses served rather than the wildcard: on macOS and the BSDs a socket that sets SO_REUSEADDR or SO_REUSEPORT may bind a more specific address beside a wildcard listener and receive its connections to that address (in_pcb.c)"},
	}
)

// platforms is the registry. Its order is only the order of Platforms;
// the tables' columns follow BindColumn and RuntimeColumn.
var platforms = []PlatformFacts{
	{Name: "linux", GOOS: "linux", OtherUser: true, Cross: true, BindColumn: 1, RuntimeColumn: 1, Fixes: []Fix{
		{Took: []Option{ReusePort}, Text: "drop SO_REUSEPORT (nginx: the reuseport parameter of listen; Envoy: reuse_port): on Linux any process with the same effective user may join a SO_REUSEPORT group and the kernel gives it a share of the connections (socket(7)); if the sharing is wanted, run the server as a user no other program runs as"},
		{Took: []Option{ReuseAddr}, Protos: []Proto{UDP}, Text: "do not set SO_REUSEADDR on the UDP socket: on Linux two UDP sockets that both set it share the port and the newest receives the datagrams (socket(7), and this project's matrix)"},
	}},
	{Name: "windows", GOOS: "windows", BindColumn: 2, RuntimeColumn: 3, Fixes: windowsFixes},
	{Name: "darwin", GOOS: "darwin", OtherUser: true, BindColumn: 3, RuntimeColumn: 4, Fixes: bsdFixes},
	{Name: "freebsd", GOOS: "freebsd", Options: []Option{ReusePortLB}, OtherUser: true, BindColumn: 4, RuntimeColumn: 5,
		Fixes: bsdFixes, Settings: []Setting{{Sysctl: "net.inet.tcp.nolocaltimewait", Want: 0, State: TimeWait,
			Why: "FreeBSD keeps no TIME_WAIT entry for a connection between two local addresses (documented: tcp(4), and FreeBSD 14.0's release notes, where it became the default; not observed here)"}}},
	// Wine's sockets sit on the host's kernel and answer differently from
	// Windows' (matrix/expected/wine.txt): its results never pass for
	// Windows'.
	{Name: "wine", GOOS: "windows", BindColumn: 5, RuntimeColumn: 2, Fixes: windowsFixes},
	// The other BSDs build, and their witness (netstat) works; no expected
	// table or socket inventory is written for them yet.
	{Name: "openbsd", GOOS: "openbsd", OtherUser: true, Fixes: bsdFixes},
	{Name: "netbsd", GOOS: "netbsd", OtherUser: true, Fixes: bsdFixes},
	{Name: "dragonfly", GOOS: "dragonfly", OtherUser: true, Fixes: bsdFixes},
}

// Platforms lists the registry's rows.
func Platforms() []PlatformFacts { return slices.Clone(platforms) }

// FactsOf is the registry's row for platform. A platform it does not know
// (illumos, or "" for the common matrix) is taken for a Unix with only the
// common options, other-user cells, no column and no fix text.
func FactsOf(platform string) PlatformFacts {
	if i := slices.IndexFunc(platforms, func(p PlatformFacts) bool { return p.Name == platform }); i >= 0 {
		return platforms[i]
	}
	return PlatformFacts{Name: platform, GOOS: platform, OtherUser: true}
}

// Known says whether the registry has a row for platform.
func Known(platform string) bool {
	return slices.ContainsFunc(platforms, func(p PlatformFacts) bool { return p.Name == platform })
}

// BindTableOrder is the order of the platforms placed in the bind table:
// the ones people look for first.
func BindTableOrder() []string {
	return columns(func(p PlatformFacts) int { return p.BindColumn })
}

// RuntimeTableOrder is the runtime table's columns, in order.
func RuntimeTableOrder() []string {
	return columns(func(p PlatformFacts) int { return p.RuntimeColumn })
}

func columns(place func(PlatformFacts) int) []string {
	placed := slices.DeleteFunc(Platforms(), func(p PlatformFacts) bool { return place(p) == 0 })
	slices.SortFunc(placed, func(a, b PlatformFacts) int { return place(a) - place(b) })
	names := make([]string, len(placed))
	for i, p := range placed {
		names[i] = p.Name
	}
	return names
}

// Lane is a way to run a platform's build from a Linux host: Wine runs the
// Windows build, QEMU the Linux build as the init of another kernel.
type Lane struct {
	Name     string // what -under takes
	Platform string // the registry row of what runs in it
	GOARCH   string // the architecture the lane's build targets
}

// lanes are in the order help texts list them.
var lanes = []Lane{
	{Name: "wine", Platform: "wine", GOARCH: "amd64"},
	{Name: "qemu", Platform: "linux", GOARCH: "amd64"},
}

// Lanes lists the lanes.
func Lanes() []Lane { return slices.Clone(lanes) }

// LaneNames lists the lanes' names.
func LaneNames() []string {
	names := make([]string, len(lanes))
	for i, l := range lanes {
		names[i] = l.Name
	}
	return names
}

// LaneNamed is the lane called name.
func LaneNamed(name string) (Lane, bool) {
	i := slices.IndexFunc(lanes, func(l Lane) bool { return l.Name == name })
	if i < 0 {
		return Lane{}, false
	}
	return lanes[i], true
}

// GOOS is what the lane's build targets: its platform's GOOS.
func (l Lane) GOOS() string { return FactsOf(l.Platform).GOOS }
