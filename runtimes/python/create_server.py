# socket.create_server, as the socket module's documentation shows it: all
# interfaces, the port from the command line, connections taken one by one.
import socket
import sys

with socket.create_server(("", int(sys.argv[1]))) as server:
    while True:
        conn, addr = server.accept()
        conn.recv(1)
