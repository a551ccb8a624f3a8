// Issue 39: what `durable: { replicas: 1 }` costs. A master and its replica
// (redis-server, loopback); Session + RedisProvider over ioredis with
// auto-pipelining, a returning read+change request each (restore, change a
// counter, save) with fake req/res, `concurrency` in flight, default and
// durable sides interleaved per round: requests/s and per-request latency
// (p50, p99) for each, and the ratio. The durable save adds CLIENT ID, WAIT and
// CLIENT ID to the save's round trip, and the wait for the replica's ack.
import { Redis } from 'ioredis';
import { Session } from '../../dist/index.js';
import { RedisProvider } from '../../dist/providers/redis/provider.js';
import { median, wsRequest } from './redis-cost.js';

const SECRET = 'benchmark secret, at least 32 characters long';
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
// A returning read+change through the manager, as the Redis cost rows make it.
const request = (session, cookie) => wsRequest(session, cookie, true);

async function side(port, durable, population) {
  const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, enableAutoPipelining: true });
  const provider = new RedisProvider(client, { prefix: `dur:${durable ? 'd' : 'n'}:`, touchAfter: 60, ...(durable ? { durable: { replicas: 1 } } : {}) });
  const session = new Session(provider, { cookieSecret: SECRET, backend: 'wasm' });
  const cookies = [];
  for (let i = 0; i < population; i++) cookies.push(String((await request(session, null)).getHeader('set-cookie')).split(';')[0]);
  return { label: durable ? "read+change, durable: { replicas: 1 }" : 'read+change, default', session, cookies, close: () => client.quit() };
}

async function drive(s, requests, concurrency) {
  let next = 0;
  const lat = [];
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) {
        const i = next++;
        const a = process.hrtime.bigint();
        await request(s.session, s.cookies[i % s.cookies.length]);
        lat.push(Number(process.hrtime.bigint() - a) / 1e6);
      }
    }),
  );
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  return { rps: requests / secs, p50: pct(lat, 50), p99: pct(lat, 99) };
}

export async function runDurableCost({ port, rounds = 5, requests = 4000, concurrency = 16, population = 500, log = () => {} }) {
  const sides = [await side(port, false, population), await side(port, true, population)];
  const runs = sides.map(() => []);
  for (const s of sides) await drive(s, Math.min(1000, requests), concurrency); // warm-up
  for (let r = 0; r < rounds; r++) for (const [i, s] of sides.entries()) runs[i].push(await drive(s, requests, concurrency));
  const rows = sides.map((s, i) => ({
    label: s.label,
    rps: Math.round(median(runs[i].map((x) => x.rps))),
    p50Ms: Number(median(runs[i].map((x) => x.p50)).toFixed(2)),
    p99Ms: Number(median(runs[i].map((x) => x.p99)).toFixed(2)),
  }));
  rows[1].rpsRatio = Number((rows[1].rps / rows[0].rps).toFixed(2));
  for (const row of rows) log(`  ${row.label.padEnd(40)} ${String(row.rps).padStart(6)} req/s  p50 ${row.p50Ms} ms  p99 ${row.p99Ms} ms${row.rpsRatio ? `  (${row.rpsRatio}× the default's req/s)` : ''}`);
  for (const s of sides) await s.close();
  return { settings: { rounds, requests, concurrency, population }, rows };
}
