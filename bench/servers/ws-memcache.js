// wasm-session on memcached (MemcacheProvider over memjs), node:http, wasm backend.
// Same handler as ws-redis.js; GET /read only reads. Round trips counted at the
// memjs client: every `perform` is one request and its response.
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { SECRET, listen, roundTrip, unavailable } from './_common.js';

// BENCH_DIST=<dir>: another build of the library (a before/after comparison in one interleaved run).
const dist = process.env.BENCH_DIST ? pathToFileURL(process.env.BENCH_DIST.replace(/\/?$/, '/')).href : new URL('../../dist/', import.meta.url).href;
const { Session } = await import(`${dist}index.js`);

const port = Number(process.env.BENCH_MEMCACHED_PORT);
if (!port) unavailable('no memcached server (memcached missing?)');
let MemcacheProvider, memjs;
try {
  ({ MemcacheProvider } = await import(`${dist}providers/memcache/provider.js`));
  memjs = (await import('memjs')).default;
} catch (err) {
  unavailable(`wasm-session/memcache not built (${err.message.split('\n')[0]})`);
}
const client = memjs.Client.create(`127.0.0.1:${port}`, { logger: { log() {} }, retries: 1, timeout: 2 });
const perform = client.perform.bind(client);
client.perform = (...args) => {
  roundTrip(1);
  return perform(...args);
};
const session = new Session(new MemcacheProvider(client, { prefix: 'bench:ws:' }), { cookieSecret: SECRET, backend: process.env.BENCH_BACKEND ?? 'wasm' });
session.on('error', (e) => console.error('session error', e.operation, e.error.message));

const server = createServer(async (req, res) => {
  let store;
  try {
    store = await session.start(req, res);
  } catch {
    res.statusCode = 503;
    res.end();
    return;
  }
  const v = store.getValue();
  const n = req.url === '/read' ? v.int('n') : v.int('n') + 1;
  if (req.url !== '/read') v.set('n', n);
  res.setHeader('content-type', 'text/plain');
  res.end(String(n));
});
listen(server, () => client.close());
