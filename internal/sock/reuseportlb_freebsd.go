package sock

import "golang.org/x/sys/unix"

// reusePortLB is FreeBSD's load-balancing SO_REUSEPORT (12.0 and later).
func reusePortLB() (name int, exists bool) { return unix.SO_REUSEPORT_LB, true }
