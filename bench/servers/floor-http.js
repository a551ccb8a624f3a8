// The floor of the node:http session rows: everything they have but the session work.
// The library is loaded (a Session made), the handler is async and awaits once (as
// `await session.start` does), and requests carry a cookie of the session cookie's size:
// the first request (no cookie) gets one; a returning one answers 2.
import { createServer } from 'node:http';
import { MemoryProvider, Session } from '../../dist/index.js';
import { createCodec } from '../../dist/crypto/index.js';
import { SECRET, listen } from './_common.js';

const session = new Session(new MemoryProvider(), { cookieSecret: SECRET, backend: process.env.BENCH_BACKEND ?? 'wasm' });
// A sealed session token under the Session's cookie name: the same Cookie header size as the session rows'.
const token = createCodec({ secrets: [SECRET], name: session.config.cookieName, backend: 'js' }).seal('AAAAAAAAAAAAAAAAAAAAAA', Date.now());
const line = `${session.config.cookieName}=${token}; Path=/; HttpOnly; SameSite=Lax`;
const ready = Promise.resolve();

const server = createServer(async (req, res) => {
  await ready;
  res.setHeader('content-type', 'text/plain');
  if (req.headers.cookie === undefined) res.setHeader('set-cookie', line);
  res.end(req.headers.cookie === undefined ? '1' : '2');
});
listen(server);
