// Package scenarios drives the cells of the bind matrix with real syscalls on
// the machine it runs on: it puts a first socket into a state, proves that
// state, binds a second socket to the same port and records what happened.
//
// What differs between operating systems lives in files named for them, each
// defining the same small set of functions (the style of Go's net package):
//
//	socket_*.go   open, bind, listen, connect, accept and close sockets
//	option_*.go   which of the matrix's options exist and how to set them
//	errno_*.go    turn an OS error into a POSIX name and a native number
//	witness_*.go  ask the kernel which state a TCP endpoint is in
//
// It is not a socket library: every socket lives for one cell and is closed
// on every path, since a leaked descriptor would change the next cell's answer.
package scenarios
