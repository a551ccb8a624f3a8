// A node:http app (run by Bun and Deno through their Node compatibility).
import http from 'node:http';
import { MemoryProvider, Session } from 'wasm-session';
import { SECRET, answer, listening } from './answer.mjs';

const session = new Session(new MemoryProvider(), { cookieSecret: SECRET });
const server = http.createServer(async (req, res) => {
  try {
    const s = await session.start(req, res);
    const body = JSON.stringify(await answer(session, s));
    res.setHeader('content-type', 'application/json');
    res.end(body);
  } catch (e) {
    res.statusCode = 500;
    res.end(JSON.stringify({ error: String(e && e.stack) }));
  }
});
server.listen(0, '127.0.0.1', () => listening(server.address().port));
