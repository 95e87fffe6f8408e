package audit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/bindmatrix/bindmatrix/internal/inventory"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// othersOnPort lists the serving sockets on proto's port that are not
// among audited: another program's, which test traffic to the port could
// reach (a specific socket beside an audited wildcard one gets all of it).
func othersOnPort(proto matrix.Proto, port uint16, audited []inventory.Socket) ([]inventory.Socket, error) {
	listed, err := inventory.List(inventory.Filter{Protos: []matrix.Proto{proto}, Port: port})
	if err != nil {
		return nil, err
	}
	return notAmong(listed, audited), nil
}

// notAmong are the sockets of listed that no socket of audited accounts
// for, each audited socket accounting for one listed socket: where owners
// are not recorded, a second socket on an audited address is another's.
func notAmong(listed, audited []inventory.Socket) []inventory.Socket {
	left := slices.Clone(audited)
	return slices.DeleteFunc(slices.Clone(listed), func(l inventory.Socket) bool {
		i := slices.IndexFunc(left, func(a inventory.Socket) bool { return sameSocket(a, l) })
		if i < 0 {
			return false
		}
		left = slices.Delete(left, i, i+1)
		return true
	})
}

// sameSocket says whether listed may be audited: the same address, and a
// holder in common (a forking server's workers come and go) unless the
// audited socket names none.
func sameSocket(audited, listed inventory.Socket) bool {
	return audited.Proto == listed.Proto && audited.Local == listed.Local &&
		(len(audited.PIDs) == 0 || slices.ContainsFunc(listed.PIDs, func(p int) bool { return slices.Contains(audited.PIDs, p) }))
}

// namesOf names sockets for a note: address, and holder where known.
func namesOf(socks []inventory.Socket) string {
	var names []string
	for _, s := range socks {
		name := s.Local.String()
		if s.PID() != 0 {
			name += fmt.Sprintf(" of pid %d (%s)", s.PID(), s.Command)
		}
		names = append(names, name)
	}
	return strings.Join(names, ", ")
}
