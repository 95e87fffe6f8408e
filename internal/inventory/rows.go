package inventory

import (
	"net/netip"
	"slices"

	"github.com/bindmatrix/bindmatrix/internal/socktable"
	"github.com/bindmatrix/bindmatrix/matrix"
)

// fromEntries turns the rows a tool printed into sockets, merging the rows
// of one address: one socket held by several processes (a forking server's
// workers), or several sockets, which the tools do not tell apart (Merged).
func fromEntries(entries []socktable.Entry, proto matrix.Proto, f Filter, whyUnknown string) []Socket {
	var out []Socket
	index := map[netip.AddrPort]int{}
	for _, e := range entries {
		if e.Proto != proto.String() || f.Port != 0 && e.Local.Port() != f.Port || e.Remote.Port() != 0 {
			continue // another protocol, another port, or a connected socket: no server
		}
		if i, seen := index[e.Local]; seen {
			out[i].Merged = out[i].Merged || e.PID <= 0 || !slices.Contains(out[i].PIDs, e.PID)
			if e.PID > 0 && len(out[i].PIDs) == 0 { // the rows before named no holder; this one does
				out[i].Command, out[i].User, out[i].Unknown = e.Command, e.User, ""
			}
			if e.PID > 0 && !slices.Contains(out[i].PIDs, e.PID) {
				out[i].PIDs = append(out[i].PIDs, e.PID)
				slices.Sort(out[i].PIDs)
			}
			continue
		}
		s := Socket{Proto: proto, Local: e.Local, Family: familyOf(e.Local, e.DualStack), UID: -1, User: e.User, Command: e.Command}
		if e.PID > 0 {
			s.PIDs = []int{e.PID}
		} else {
			s.Unknown = whyUnknown
		}
		index[e.Local] = len(out)
		out = append(out, s)
	}
	return slices.DeleteFunc(out, func(s Socket) bool { return !f.owned(s.PIDs) })
}
