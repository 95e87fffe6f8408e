// net.createServer().listen(port), as the net module's documentation shows
// it: no host, so Node listens on the unspecified IPv6 address (dual-stack)
// where IPv6 is available.
const net = require('node:net');

const server = net.createServer((socket) => socket.on('error', () => {}));
server.listen(Number(process.argv[2]));
