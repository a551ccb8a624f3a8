// wasm-session on Redis (RedisProvider over ioredis), node:http; BENCH_BACKEND = wasm (default) | native.
// Same handler as ws-memory.js; GET /read only reads. Round trips counted at the ioredis client.
import { createServer } from 'node:http';
import { Session } from '../../dist/index.js';
import { nativeAvailable } from '../../dist/crypto/index.js';
import { SECRET, countIoredis, listen, redisPort, unavailable } from './_common.js';

const port = redisPort();
let RedisProvider, Redis;
try {
  ({ RedisProvider } = await import('../../dist/providers/redis/provider.js'));
  ({ Redis } = await import('ioredis'));
} catch (err) {
  unavailable(`wasm-session/redis not built (${err.message.split('\n')[0]})`);
}
const redis = countIoredis(new Redis({ host: '127.0.0.1', port, lazyConnect: false, maxRetriesPerRequest: 1 }));
const backend = process.env.BENCH_BACKEND ?? 'wasm';
if (backend === 'native' && !nativeAvailable()) unavailable('the native addon is not built (npm run build:native)');
// BENCH_CACHE=1: the provider's client-side cache (64 MiB; invalidated by Redis tracking over two more connections).
const cache = process.env.BENCH_CACHE === '1' ? { maxBytes: 64 << 20 } : undefined;
// BENCH_TOUCH_AFTER=<s>: the provider's touchAfter option. Default 0 (every touch writes) without the cache,
// the provider's own default (a tenth of the TTL) with it: a cached read-only request then sends nothing.
const touchAfter = process.env.BENCH_TOUCH_AFTER !== undefined ? Number(process.env.BENCH_TOUCH_AFTER) : cache ? undefined : 0;
const provider = new RedisProvider(redis, { prefix: 'bench:ws:', touchAfter, cache });
if (cache) await provider.cache.sync(10_000);
const session = new Session(provider, { cookieSecret: SECRET, backend });
session.on('error', (e) => console.error('session error', e.operation, e.error.message));

// BENCH_USER=1: the first request logs in (session.login), so returning requests carry a user-bound session.
const asUser = process.env.BENCH_USER === '1';
// BENCH_REMEMBER=1: the same, logged in with a remember-me token, and every request goes through
// session.resume (as an app that lets remembered devices back in does): the returning cost of it.
const remember = process.env.BENCH_REMEMBER === '1';

const server = createServer(async (req, res) => {
  let store;
  try {
    store = remember ? ((await session.resume(req, res)) ?? (await session.start(req, res))) : await session.start(req, res);
    if (asUser || remember) {
      if (store.isNew()) store = await session.login(req, res, 'bench-user', { label: 'autocannon', remember });
      else if (store.userId() !== 'bench-user') {
        res.statusCode = 500; // the binding did not come back: the row fails its checks
        return res.end('no user');
      }
    }
  } catch {
    res.statusCode = 503;
    res.end();
    return;
  }
  const v = store.getValue();
  // GET /read: a returning request that only reads (restore + touch, nothing to save).
  const n = req.url === '/read' ? v.int('n') : v.int('n') + 1;
  if (req.url !== '/read') v.set('n', n);
  res.setHeader('content-type', 'text/plain');
  res.end(String(n));
});
listen(server, async () => {
  provider.cache?.close();
  await redis.quit();
});
