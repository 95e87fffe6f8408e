package audit

import (
	"golang.org/x/sys/unix"

	"github.com/bindmatrix/bindmatrix/internal/sock"
)

// steerTo attaches to s's SO_REUSEPORT group a classic BPF program that
// sends everything to the group's member number index.
func steerTo(s sock.Socket, index uint32) error {
	prog := []unix.SockFilter{{Code: unix.BPF_RET | unix.BPF_K, K: index}}
	return unix.SetsockoptSockFprog(s.FD(), unix.SOL_SOCKET, unix.SO_ATTACH_REUSEPORT_CBPF, &unix.SockFprog{Len: 1, Filter: &prog[0]})
}
