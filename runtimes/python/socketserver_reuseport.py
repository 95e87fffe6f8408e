# socketserver.TCPServer with allow_reuse_port (Python 3.11 on): the class
# attribute sets SO_REUSEPORT in server_bind.
import socketserver
import sys


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.recv(1024)


class Server(socketserver.TCPServer):
    allow_reuse_port = True


with Server(("localhost", int(sys.argv[1])), Handler) as server:
    server.serve_forever()
