package ports

// Ephemeral says whether the kernel picks port by itself for a socket
// bound to port 0 or a connect(): a port a program gets anew each start.
// Outside Linux the range is the OS's default (kernelRange).
func Ephemeral(port uint16) bool {
	lo, hi := kernelRange()
	return port >= lo && port <= hi
}
