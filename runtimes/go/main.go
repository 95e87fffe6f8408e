// Command server is the smallest Go server the net package's documentation
// shows: net.Listen("tcp", ":PORT") with the default listener, every
// interface, the port given as the only argument, connections accepted
// until it is stopped.
package main

import (
	"log"
	"net"
	"os"
)

func main() {
	ln, err := net.Listen("tcp", ":"+os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	for {
		conn, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go func() {
			buf := make([]byte, 512)
			for {
				if _, err := conn.Read(buf); err != nil {
					conn.Close()
					return
				}
			}
		}()
	}
}
