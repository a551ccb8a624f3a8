// Server CPU per request (process.cpuUsage over the requests served) for the given server files, 2 rounds of 3 s at -c 50:
//   node bench/tools/cpu-per-request.js bench/servers/bare-http.js bench/servers/ws-memory.js …
// Each argument is `file[@VARIANT][?K=V&K=V]`: the env after `?` goes to that server only
// (BENCH_BACKEND defaults to wasm), e.g. 'bench/servers/fastify-wasm-session.js?BENCH_PROVIDER=cookie&BENCH_BACKEND=auto&BENCH_VALUE_BYTES=200'.
// ROUNDS and SECONDS override the 2 rounds of 3 s.
import { fork } from 'node:child_process';
import { request } from 'node:http';
import autocannon from 'autocannon';
import { startRedis } from '../lib/redis.js';
const files = process.argv.slice(2);
// Servers that need Redis get a throwaway redis-server.
let redisServer = null;
if (!process.env.BENCH_REDIS_PORT && files.some((f) => /redis/.test(f))) {
  const r = await startRedis();
  if (!r.server) throw new Error(r.reason);
  redisServer = r.server;
  process.env.BENCH_REDIS_PORT = String(r.server.port);
}
const procs = [];
for (const f of files) {
  const [spec, query = ''] = f.split('?');
  const [file, variant] = spec.split('@');
  const extra = Object.fromEntries(new URLSearchParams(query));
  const p = fork(file, [], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], env: { ...process.env, BENCH_BACKEND: 'wasm', ...(variant ? { VARIANT: variant } : {}), ...extra } });
  const port = await new Promise((r) => p.stdout.on('data', (c) => { const m = /PORT (\d+)/.exec(c); if (m) r(+m[1]); }));
  const h = await new Promise((res) => { const q = request({ host: '127.0.0.1', port, path: '/' }, (r) => { r.resume(); r.on('end', () => res(r.headers)); }); q.end(); });
  const cookie = (h['set-cookie'] ?? []).map((l) => l.split(';')[0]).join('; ');
  procs.push({ f, p, port, cookie });
}
const stats = (p) => new Promise((r) => { p.once('message', (m) => r(m.stats)); p.send('stats'); });
const run = (x, d) => new Promise((res, rej) => autocannon({ url: `http://127.0.0.1:${x.port}/`, connections: 50, duration: d, headers: x.cookie ? { cookie: x.cookie } : {} }, (e, r) => (e ? rej(e) : res(r))));
for (const x of procs) await run(x, 1);
const rounds = Number(process.env.ROUNDS ?? 2);
const seconds = Number(process.env.SECONDS ?? 3);
const label = (f) => { const [spec, query] = f.split('?'); return spec.split('/').pop() + (query ? ` ${query.replace(/BENCH_/g, '')}` : ''); };
for (let round = 0; round < rounds; round++) for (const x of procs) {
  const a = await stats(x.p);
  const r = await run(x, seconds);
  const b = await stats(x.p);
  const n = b.requests - a.requests;
  console.log(`${label(x.f).padEnd(28)} ${Math.round(r.requests.total / r.duration)} req/s  cpu ${((b.cpuUserUs + b.cpuSystemUs - a.cpuUserUs - a.cpuSystemUs) / n).toFixed(1)} µs/req (user ${((b.cpuUserUs - a.cpuUserUs) / n).toFixed(1)}, sys ${((b.cpuSystemUs - a.cpuSystemUs) / n).toFixed(1)})`);
}
for (const x of procs) x.p.kill();
redisServer?.stop();
