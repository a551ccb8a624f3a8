// Server CPU per request (process.cpuUsage over the requests served) for the given server files, interleaved rounds
// (ROUNDS, default 2) of SECONDS (default 3) at -c 50, after WARMUP s; BENCH_BACKEND (default wasm) passes on; medians past 2 rounds:
//   node bench/tools/cpu-per-request.js bench/servers/bare-http.js bench/servers/ws-memory.js …
// `file@VARIANT` sets VARIANT; `file@K=V,K2=V2` sets those environment variables, e.g.
//   bench/servers/express-session.js@BENCH_SESSION_MODULE=wasm-session/express-session
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
  const at = f.indexOf('@');
  const file = at < 0 ? f : f.slice(0, at);
  const variant = at < 0 ? '' : f.slice(at + 1);
  const extra = variant.includes('=') ? Object.fromEntries(variant.split(',').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])) : variant ? { VARIANT: variant } : {};
  const p = fork(file, [], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], env: { ...process.env, BENCH_BACKEND: process.env.BENCH_BACKEND ?? 'wasm', ...extra } });
  const port = await new Promise((r) => p.stdout.on('data', (c) => { const m = /PORT (\d+)/.exec(c); if (m) r(+m[1]); }));
  const h = await new Promise((res) => { const q = request({ host: '127.0.0.1', port, path: '/' }, (r) => { r.resume(); r.on('end', () => res(r.headers)); }); q.end(); });
  const cookie = (h['set-cookie'] ?? []).map((l) => l.split(';')[0]).join('; ');
  procs.push({ f, label: file.split('/').pop() + (variant ? `@${variant.replace(/BENCH_SESSION_MODULE=/, '').replace(/^.*\/(\.?[\w-]+)\/dist\/.*$/, '$1')}` : ''), p, port, cookie });
}
const stats = (p) => new Promise((r) => { p.once('message', (m) => r(m.stats)); p.send('stats'); });
const run = (x, d) => new Promise((res, rej) => autocannon({ url: `http://127.0.0.1:${x.port}/`, connections: 50, duration: d, headers: x.cookie ? { cookie: x.cookie } : {} }, (e, r) => (e ? rej(e) : res(r))));
for (const x of procs) await run(x, Number(process.env.WARMUP ?? 1));
const rounds = Number(process.env.ROUNDS ?? 2);
const seconds = Number(process.env.SECONDS ?? 3);
const cpu = new Map(procs.map((x) => [x, []]));
for (let round = 0; round < rounds; round++) for (const x of procs) {
  const a = await stats(x.p);
  const r = await run(x, seconds);
  const b = await stats(x.p);
  const n = b.requests - a.requests;
  const us = (b.cpuUserUs + b.cpuSystemUs - a.cpuUserUs - a.cpuSystemUs) / n;
  cpu.get(x).push(us);
  console.log(`${x.label.padEnd(44)} ${Math.round(r.requests.total / r.duration)} req/s  cpu ${us.toFixed(1)} µs/req (user ${((b.cpuUserUs - a.cpuUserUs) / n).toFixed(1)}, sys ${((b.cpuSystemUs - a.cpuSystemUs) / n).toFixed(1)})`);
}
if (rounds > 2) {
  console.log('median server CPU µs/request:');
  for (const [x, v] of cpu) console.log(`  ${x.label.padEnd(44)} ${v.sort((p, q) => p - q)[v.length >> 1].toFixed(1)}`);
}
for (const x of procs) x.p.kill();
redisServer?.stop();
