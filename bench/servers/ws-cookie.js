// wasm-session with CookieProvider (no store: the value sealed in the cookies), node:http.
// BENCH_VALUE_BYTES: a padding string of that many bytes in the session beside the counter,
// set by the first request; every returning request opens it all, changes the counter and re-seals.
import { createServer } from 'node:http';
import { Session } from '../../dist/index.js';
import { SECRET, listen, unavailable } from './_common.js';

let CookieProvider;
try {
  ({ CookieProvider } = await import('../../dist/providers/cookie/provider.js'));
} catch (err) {
  unavailable(`the cookie provider is not built yet (${err.code ?? err.message.split('\n')[0]})`);
}
const pad = 'x'.repeat(Number(process.env.BENCH_VALUE_BYTES ?? 0));
const session = new Session(new CookieProvider(), { cookieSecret: SECRET });
session.on('error', (e) => console.error('session error', e.operation, e.error.message));

const server = createServer(async (req, res) => {
  const store = await session.start(req, res);
  const v = store.getValue();
  if (!v.has('pad')) v.set('pad', pad);
  const n = v.int('n') + 1;
  v.set('n', n);
  res.setHeader('content-type', 'text/plain');
  res.end(String(n));
});
listen(server);
