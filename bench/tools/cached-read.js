// A returning read-only request in process (start + read a field + end, no
// change) on MemoryProvider and on RedisProvider with its client-side cache
// (a hit: no command), interleaved rounds, no HTTP; prints µs per request
// and the ratio. Starts a throwaway redis-server.
//
//   node bench/tools/cached-read.js [requests per round] [rounds]
import { Redis } from 'ioredis';
import { MemoryProvider, Session } from '../../dist/index.js';
import { RedisProvider } from '../../dist/providers/redis/provider.js';
import { FakeRes } from '../lib/fake-res.js';
import { startRedis } from '../lib/redis.js';

const SECRET = 'benchmark secret, at least 32 characters long';
const N = Number(process.argv[2] ?? 50_000);
const ROUNDS = Number(process.argv[3] ?? 7);

async function handle(session, cookie) {
  const res = new FakeRes();
  const finished = new Promise((r) => (res.done = r));
  const store = await session.start({ headers: { cookie } }, res);
  if (store.getValue().int('n') !== 1) throw new Error('lost the session');
  res.end('x');
  await finished;
}

async function setup(provider) {
  const session = new Session(provider, { cookieSecret: SECRET, touchAfter: 60 });
  const res = new FakeRes();
  const finished = new Promise((r) => (res.done = r));
  const store = await session.start({ headers: {} }, res);
  store.getValue().set('n', 1);
  res.end('x');
  await finished;
  return { session, cookie: String(res.getHeader('set-cookie')).split(';')[0] };
}

const { server, reason } = await startRedis();
if (!server) {
  console.error(reason);
  process.exit(1);
}
const redis = new Redis({ host: '127.0.0.1', port: server.port });
const cached = new RedisProvider(redis, { cache: { maxBytes: 64 << 20 } });
await cached.cache.sync(10_000);
const rows = { memory: await setup(new MemoryProvider()), 'redis, cached': await setup(cached) };
const times = Object.fromEntries(Object.keys(rows).map((k) => [k, []]));
for (const { session, cookie } of Object.values(rows)) for (let i = 0; i < 5000; i++) await handle(session, cookie);
for (let r = 0; r < ROUNDS; r++) {
  for (const [label, { session, cookie }] of Object.entries(rows)) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < N; i++) await handle(session, cookie);
    times[label].push(Number(process.hrtime.bigint() - t) / N / 1000);
  }
}
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
for (const [label, t] of Object.entries(times)) console.log(`${label.padEnd(16)} ${median(t).toFixed(2)} µs/request`);
console.log(`cached req/s ÷ memory req/s: ${(median(times.memory) / median(times['redis, cached'])).toFixed(2)}`);
console.log('cache stats', JSON.stringify(cached.cache.stats()));
cached.cache.close();
redis.disconnect();
server.stop();
