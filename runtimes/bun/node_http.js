// node:http under Bun: the Node API, served by Bun's own implementation.
const http = require('node:http');

http.createServer((req, res) => res.end('ok')).listen(Number(process.argv[2]));
