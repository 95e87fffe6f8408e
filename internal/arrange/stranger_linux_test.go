package arrange

import (
	"net/netip"

	"github.com/bindmatrix/bindmatrix/internal/sock"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// openUDP binds a UDP socket with SO_REUSEADDR on 127.0.0.1:port, as a
// stranger sharing the port could.
func openUDP(port uint16) (sock.Socket, error) {
	s, err := sock.Open(matrix.SockIPv4, matrix.UDP)
	if err != nil {
		return s, err
	}
	if err := s.SetOption(matrix.ReuseAddr); err != nil {
		s.Close()
		return s, err
	}
	if err := s.Bind(netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), port)); err != nil {
		s.Close()
		return s, err
	}
	return s, nil
}
