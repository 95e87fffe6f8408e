// The same server with the reusePort option of server.listen (Node 22.12
// and 23.1 on): SO_REUSEPORT on the listener.
const net = require('node:net');

const server = net.createServer((socket) => socket.on('error', () => {}));
server.listen({ port: Number(process.argv[2]), reusePort: true });
