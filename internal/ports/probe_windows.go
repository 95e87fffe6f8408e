package ports

import "github.com/bindmatrix/bindmatrix/matrix"

// probes are the binds a free port must pass. On Windows a plain wildcard
// bind succeeds beside a socket on a specific address and a plain specific
// bind beside a wildcard one (Microsoft's same-user table; Wine too), and
// a dual-stack wildcard bind beside an IPv4 wildcard one (Wine's tests of
// real Windows), so four binds reach every socket the matrix makes: the
// IPv4 wildcard, the dual-stack wildcard (which meets an IPv6-only one on
// ::), the v4-mapped loopback (which meets 127.0.0.1) and ::1.
var probes = []probe{
	{matrix.SockIPv4, matrix.Wildcard},
	{matrix.SockDualStack, matrix.Wildcard},
	{matrix.SockDualStack, matrix.Specific},
	{matrix.SockIPv6, matrix.Specific},
}
