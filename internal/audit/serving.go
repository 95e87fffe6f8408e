package audit

import (
	"slices"

	"github.com/bindmatrix/bindmatrix/internal/inventory"
	"github.com/bindmatrix/bindmatrix/internal/ports"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// serving are the sockets of socks a restart must bring back: listening
// TCP ones, and unconnected UDP ones bound outside the ephemeral range or
// to the port asked for. A UDP socket on an ephemeral port is a client's
// (squid's outgoing DNS sockets take new random ports at every start), and
// its port is not the server's to keep.
func serving(socks []inventory.Socket, asked uint16) []inventory.Socket {
	return slices.DeleteFunc(slices.Clone(socks), func(s inventory.Socket) bool {
		port := s.Local.Port()
		return s.Proto == matrix.UDP && port != asked && ports.Ephemeral(port)
	})
}
