package scenarios

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/bindmatrix/bindmatrix/matrix"
)

// The delivery check answers the question behind a hijack: once both
// sockets could receive, who gets the traffic? A takeover shows as second,
// load sharing as both.

// deliveryCount is how many connections or datagrams a check sends at most,
// each from its own client port: enough that two sockets sharing a port by
// hash (SO_REUSEPORT) both get some unless something is wrong (a fair split
// misses one side with odds of 2^-31), few enough to take a millisecond. The
// check stops early once both sockets have received: the verdict is then
// both, and more traffic could not change it.
const deliveryCount = 32

// deliveryRound is how many are sent between two looks at the counts.
const deliveryRound = 4

// deliveryPatience bounds the wait for sent traffic to arrive; loopback
// delivers within microseconds, so this is a limit, not a pause.
const deliveryPatience = 2 * time.Second

// deliveryTarget is the loopback address both sockets can receive on:
// IPv6's when either socket is IPv6-only, IPv4's otherwise.
func deliveryTarget(c matrix.Cell, port uint16) (family, netip.AddrPort) {
	first, second := families(c)
	if first == familyIPv6 || second == familyIPv6 {
		return reachable(familyIPv6, port)
	}
	return reachable(familyIPv4, port)
}

// deliver sends deliveryCount connections (TCP) or datagrams (UDP) to the
// port and counts what each socket received. The note gives the counts. A
// check that could not send or count everything has no verdict: complete
// is false and the cell is unreached, since "none" or "first" from a partial
// count would be a guess.
func deliver(c matrix.Cell, first *firstSocket, second secondSocket) (d matrix.Delivery, note string, complete bool) {
	fam, target := deliveryTarget(c, first.port)
	var clients []socket
	defer func() {
		for _, cl := range clients {
			cl.abort()
		}
	}()
	sent, tried := 0, 0
	var sendErr error
	toFirst, toSecond := 0, 0
	count := func() error {
		n1, err1 := first.receiver.drain(c.Proto)
		n2, err2 := second.drain()
		toFirst, toSecond = toFirst+n1, toSecond+n2
		return errors.Join(err1, err2)
	}
	for tried < deliveryCount && !(toFirst > 0 && toSecond > 0) && sendErr == nil {
		for range deliveryRound {
			tried++
			cl, err := openSocket(fam, c.Proto)
			if err != nil {
				sendErr = err
				break
			}
			clients = append(clients, cl)
			if c.Proto == matrix.UDP {
				err = cl.send(target)
			} else {
				err = cl.connect(target)
			}
			if err != nil {
				sendErr = err
				break
			}
			sent++
		}
		if err := count(); err != nil {
			return "", fmt.Sprintf("delivery check failed: %v", err), false
		}
	}
	deadline := time.Now().Add(deliveryPatience)
	for toFirst+toSecond < sent && time.Now().Before(deadline) {
		time.Sleep(50 * time.Microsecond)
		if err := count(); err != nil {
			return "", fmt.Sprintf("delivery check failed: %v", err), false
		}
	}
	note = fmt.Sprintf("delivery to %s: %d of %d sent reached the first socket, %d the second", target, toFirst, sent, toSecond)
	complete = true
	if sendErr != nil {
		note += fmt.Sprintf("; sending stopped after %d: %v", sent, sendErr)
		complete = false
	}
	if lost := sent - toFirst - toSecond; lost > 0 {
		note += fmt.Sprintf("; %d not received within %v", lost, deliveryPatience)
		complete = false
	}
	return deliveryVerdict(toFirst, toSecond), note, complete
}

func deliveryVerdict(toFirst, toSecond int) matrix.Delivery {
	switch {
	case toFirst > 0 && toSecond > 0:
		return matrix.DeliveredBoth
	case toFirst > 0:
		return matrix.DeliveredFirst
	case toSecond > 0:
		return matrix.DeliveredSecond
	}
	return matrix.DeliveredNone
}
