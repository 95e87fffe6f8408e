//go:build !linux && !windows

package ports

import "github.com/bindmatrix/bindmatrix/matrix"

// probes are the binds a free port must pass. A plain wildcard bind of the
// BSDs conflicts with any socket on the port whose address overlaps; each
// family in turn, since how far a dual-stack wildcard bind reaches differs
// between them.
var probes = []probe{
	{matrix.SockIPv4, matrix.Wildcard},
	{matrix.SockIPv6, matrix.Wildcard},
	{matrix.SockDualStack, matrix.Wildcard},
}
