package scenarios

import (
	"errors"
	"fmt"
)

// tcpState is a TCP state as the kernel's connection table reports it. The
// numbering is Linux's (include/net/tcp_states.h); other OSes map theirs.
type tcpState uint8

const (
	tcpEstablished tcpState = 1
	tcpTimeWait    tcpState = 6
	tcpListen      tcpState = 10
)

var tcpStateNames = map[tcpState]string{
	1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1", 5: "FIN_WAIT2",
	6: "TIME_WAIT", 7: "CLOSE", 8: "CLOSE_WAIT", 9: "LAST_ACK", 10: "LISTEN", 11: "CLOSING",
}

func (s tcpState) String() string {
	if n, ok := tcpStateNames[s]; ok {
		return n
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// errNoWitness is returned by a witness that cannot read the kernel's TCP
// table on this OS; cells whose state needs that proof are unreached.
var errNoWitness = errors.New("no witness can read the TCP connection table")
