package ports

import "github.com/bindmatrix/bindmatrix/matrix"

// probes are the binds a free port must pass. On Windows a plain wildcard
// bind succeeds beside a socket on a specific address and a plain specific
// bind beside a wildcard one (Microsoft's same-user table; Wine too), so
// each family probes both addresses the matrix uses.
var probes = []probe{
	{matrix.SockIPv4, matrix.Wildcard}, {matrix.SockIPv4, matrix.Specific},
	{matrix.SockIPv6, matrix.Wildcard}, {matrix.SockIPv6, matrix.Specific},
	{matrix.SockDualStack, matrix.Wildcard}, {matrix.SockDualStack, matrix.Specific},
}
