package inventory

import "github.com/bindmatrix/bindmatrix/matrix"

// SocketOptions are the reuse options a serving socket set, read from the
// socket itself without binding anything.
type SocketOptions struct {
	Set []matrix.Option // the matrix's options the socket has on
	// How says where they were read, for the report.
	How string
}

// Has says whether opt is among the options set.
func (o SocketOptions) Has(opt matrix.Option) bool {
	for _, s := range o.Set {
		if s == opt {
			return true
		}
	}
	return false
}
