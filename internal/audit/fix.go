package audit

import (
	"slices"
	"strings"

	"github.com/bindmatrix/bindmatrix/internal/host"
	"github.com/bindmatrix/bindmatrix/matrix"
)

func hostOS() string { return host.Platform().Name }

// fixFor says, in one line per cause, how to make a hijackable socket
// exclusive on platform, from the attempts that took its traffic. Each
// claim names its source.
func fixFor(platform string, s matrix.AuditSocket) string {
	took := func(opt matrix.Option) bool {
		return slices.ContainsFunc(s.Attempts, func(a matrix.Attempt) bool { return a.Took() && a.Option == opt })
	}
	var fixes []string
	switch platform {
	case "windows", "wine":
		fixes = append(fixes, "set SO_EXCLUSIVEADDRUSE on the socket before bind (Go: a net.ListenConfig Control that sets it; .NET: ExclusiveAddressUse = true; Java does by default): without it another process of the same user may bind the port with SO_REUSEADDR, or a more specific address, and take the connections (Microsoft Learn, \"Using SO_REUSEADDR and SO_EXCLUSIVEADDRUSE\")")
	case "linux":
		if took(matrix.ReusePort) {
			fixes = append(fixes, "drop SO_REUSEPORT (nginx: the reuseport parameter of listen; Envoy: reuse_port): on Linux any process with the same effective user may join a SO_REUSEPORT group and the kernel gives it a share of the connections (socket(7)); if the sharing is wanted, run the server as a user no other program runs as")
		}
		if took(matrix.ReuseAddr) && s.Proto == matrix.UDP {
			fixes = append(fixes, "do not set SO_REUSEADDR on the UDP socket: on Linux two UDP sockets that both set it share the port and the newest receives the datagrams (socket(7), and this project's matrix)")
		}
	default: // macOS and the BSDs
		if took(matrix.ReusePort) || took(matrix.ReusePortLB) {
			fixes = append(fixes, "drop SO_REUSEPORT: a socket of the same user that sets it too may bind the same address and share the port (setsockopt(2), in_pcb.c)")
		}
		if took(matrix.ReuseAddr) || took(matrix.ReusePort) {
			fixes = append(fixes, "listen on the specific addresses served rather than the wildcard: on macOS and the BSDs a socket that sets SO_REUSEADDR or SO_REUSEPORT may bind a more specific address beside a wildcard listener and receive its connections to that address (in_pcb.c)")
		}
	}
	if len(fixes) == 0 {
		fixes = append(fixes, "another process took some of this socket's traffic with the attempts marked above; no fix is known to this tool for that case on "+platform)
	}
	return strings.Join(fixes, "; ")
}
