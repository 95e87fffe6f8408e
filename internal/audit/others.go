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
		if l.Merged {
			// Maybe several sockets (lsof, sockstat): ours only if every
			// holder is one of the audited sockets' on the address.
			var holders []int
			for _, a := range left {
				if sameAddress(a, l) {
					holders = append(holders, a.PIDs...)
				}
			}
			if !isSubset(l.PIDs, holders) {
				return false
			}
			left = slices.DeleteFunc(left, func(a inventory.Socket) bool { return sameAddress(a, l) })
			return true
		}
		i := slices.IndexFunc(left, func(a inventory.Socket) bool { return sameSocket(a, l) })
		if i < 0 {
			return false
		}
		left = slices.Delete(left, i, i+1)
		return true
	})
}

// sameSocket says whether listed may be audited: the same address, and a
// holder in common (a forking server's workers come and go) unless either
// names none for want of a record (Wine; bindtest's own socket).
func sameSocket(audited, listed inventory.Socket) bool {
	return sameAddress(audited, listed) && (len(audited.PIDs) == 0 || listed.Unrecorded ||
		slices.ContainsFunc(listed.PIDs, func(p int) bool { return slices.Contains(audited.PIDs, p) }))
}

// sameAddress compares protocol, port and address, a v4-mapped address as
// the IPv4 one: a dual-stack socket bound to ::ffff:127.0.0.1 may be
// listed either way (how lsof and sockstat print it is not observed here).
func sameAddress(a, b inventory.Socket) bool {
	return a.Proto == b.Proto && a.Local.Port() == b.Local.Port() && a.Local.Addr().Unmap() == b.Local.Addr().Unmap()
}

func isSubset(some, all []int) bool {
	return !slices.ContainsFunc(some, func(p int) bool { return !slices.Contains(all, p) })
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
