package inventory

import (
	"fmt"
	"os/exec"

	"github.com/bindmatrix/bindmatrix/internal/socktable"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// List asks lsof for the listening TCP and the UDP sockets with their
// holders (`lsof -nP -iTCP -sTCP:LISTEN`, `lsof -nP -iUDP`). Run by a user
// other than root it sees only that user's processes, and says so. lsof
// does not say whether an IPv6 wildcard socket is IPv6-only; it is listed
// as dual-stack, as macOS's default for [::] is.
func List(f Filter) ([]Socket, error) {
	var out []Socket
	for _, q := range []struct {
		proto matrix.Proto
		args  []string
	}{
		{matrix.TCP, []string{"-nP", "-iTCP", "-sTCP:LISTEN"}},
		{matrix.UDP, []string{"-nP", "-iUDP"}},
	} {
		if !f.wants(q.proto) {
			continue
		}
		text, err := exec.Command("lsof", q.args...).Output()
		if err != nil && len(text) == 0 {
			// lsof exits 1 when it lists nothing, which is an answer.
			if _, ok := err.(*exec.ExitError); !ok {
				return nil, fmt.Errorf("lsof %v: %w", q.args, err)
			}
		}
		entries, err := socktable.ParseLsof(text)
		if err != nil {
			return nil, err
		}
		out = append(out, fromEntries(entries, q.proto, f, "lsof lists only this user's processes unless run as root")...)
	}
	return out, nil
}
