# socket.create_server with reuse_port=True (the socket module's
# documentation): SO_REUSEPORT besides the SO_REUSEADDR it sets on Unix.
# A connection reset while it reads (the audit's test connections) is no
# reason to stop serving.
import socket
import sys

with socket.create_server(("", int(sys.argv[1])), reuse_port=True) as server:
    while True:
        conn, addr = server.accept()
        with conn:
            try:
                conn.recv(1)
            except OSError:
                pass
