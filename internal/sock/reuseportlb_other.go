//go:build unix && !freebsd

package sock

// reusePortLB: SO_REUSEPORT_LB is FreeBSD's only.
func reusePortLB() (name int, exists bool) { return 0, false }
