package ports

import "github.com/bindmatrix/bindmatrix/matrix"

// probes are the binds a free port must pass. On Linux a plain dual-stack
// wildcard bind conflicts with every socket on the port, IPv4, IPv6-only
// and v4-mapped, TIME_WAIT entries included (see the tests), so one does.
var probes = []probe{{matrix.SockDualStack, matrix.Wildcard}}
