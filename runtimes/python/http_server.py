# http.server.HTTPServer, as the http.server documentation's run(): all
# interfaces, the port from the command line.
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

server = HTTPServer(("", int(sys.argv[1])), BaseHTTPRequestHandler)
server.serve_forever()
