// wasm-session on the memory provider, node:http. BENCH_BACKEND = native | wasm | js | node.
// The handler reads a counter and increments it: without a cookie that creates
// a session (and sends its cookie); with one it restores, changes and saves it.
// GET /read only reads (a returning read-only request).
import { createServer } from 'node:http';
import { MemoryProvider, Session } from '../../dist/index.js';
import { nativeAvailable } from '../../dist/crypto/index.js';
import { SECRET, listen, unavailable } from './_common.js';

const backend = process.env.BENCH_BACKEND ?? 'wasm';
if (backend === 'native' && !nativeAvailable()) unavailable('the native addon is not built (npm run build:native)');
const session = new Session(new MemoryProvider({ max: 100_000 }), { cookieSecret: SECRET, backend });
if (session.backend !== backend) throw new Error(`asked for ${backend}, got ${session.backend}`);
session.on('error', (e) => console.error('session error', e.operation, e.error.message));

// BENCH_USER=1: the first request logs in (session.login), so returning requests carry a user-bound session.
const asUser = process.env.BENCH_USER === '1';
// BENCH_REMEMBER=1: the same, logged in with a remember-me token, and every request goes through
// session.resume (as an app that lets remembered devices back in does): the returning cost of it.
const remember = process.env.BENCH_REMEMBER === '1';

const server = createServer(async (req, res) => {
  let store = remember ? ((await session.resume(req, res)) ?? (await session.start(req, res))) : await session.start(req, res);
  if (asUser || remember) {
    if (store.isNew()) store = await session.login(req, res, 'bench-user', { label: 'autocannon', remember });
    else if (store.userId() !== 'bench-user') {
      res.statusCode = 500; // the binding did not come back: the row fails its checks
      return res.end('no user');
    }
  }
  const v = store.getValue();
  const n = req.url === '/read' ? v.int('n') : v.int('n') + 1;
  if (req.url !== '/read') v.set('n', n);
  res.setHeader('content-type', 'text/plain');
  res.end(String(n));
});
listen(server);
