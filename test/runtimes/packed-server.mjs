// A node:http app over the packed package (scripts/test-packed.sh): prints
// {"port": N}, then answers each request with the session as it saw it.
import http from 'node:http';
import { MemoryProvider, Session } from 'wasm-session';

const session = new Session(new MemoryProvider(), { cookieSecret: process.argv[2] });
const server = http.createServer(async (req, res) => {
  try {
    const s = await session.start(req, res);
    const v = s.getValue();
    v.set('n', v.int('n') + 1);
    const body = JSON.stringify({ backend: session.backend, n: v.int('n'), isNew: s.isNew(), arch: process.arch });
    res.setHeader('content-type', 'application/json');
    res.end(body);
  } catch (e) {
    res.statusCode = 500;
    res.end(JSON.stringify({ error: String(e && e.stack) }));
  }
});
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
