// Bare node:http: the ceiling every other row is compared with.
import { createServer } from 'node:http';
import { listen } from './_common.js';

const server = createServer((req, res) => {
  res.setHeader('content-type', 'text/plain');
  res.end('ok');
});
listen(server);
