# socketserver.TCPServer with allow_reuse_port (Python 3.11 on): the class
# attribute sets SO_REUSEPORT in server_bind. The handler reads nothing: a
# one-at-a-time server blocked in recv on a silent connection would let its
# backlog fill while a newcomer's share is counted.
import socketserver
import sys


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        pass


class Server(socketserver.TCPServer):
    allow_reuse_port = True


with Server(("localhost", int(sys.argv[1])), Handler) as server:
    server.serve_forever()
