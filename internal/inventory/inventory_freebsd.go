package inventory

import (
	"fmt"
	"os/exec"

	"github.com/bindmatrix/bindmatrix/internal/socktable"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// List asks sockstat for the listening TCP and bound UDP sockets with
// their holders (`sockstat -46l -P tcp`, and udp). A socket whose process
// is gone is listed with no holder.
func List(f Filter) ([]Socket, error) {
	var out []Socket
	for _, proto := range []matrix.Proto{matrix.TCP, matrix.UDP} {
		if !f.wants(proto) {
			continue
		}
		text, err := exec.Command("sockstat", "-46l", "-P", proto.String()).Output()
		if err != nil {
			return nil, fmt.Errorf("sockstat -46l -P %s: %w", proto, err)
		}
		entries, err := socktable.ParseSockstat(text)
		if err != nil {
			return nil, err
		}
		out = append(out, fromEntries(entries, proto, f, "sockstat names no process holding it")...)
	}
	return out, nil
}
