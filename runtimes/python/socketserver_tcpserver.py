# socketserver.TCPServer, as the socketserver documentation's example: an
# echo handler on localhost and the port from the command line.
import socketserver
import sys


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.recv(1024)


with socketserver.TCPServer(("localhost", int(sys.argv[1])), Handler) as server:
    server.serve_forever()
