// CPU profile of one bench server under load:
//   node bench/tools/profile-server.js <server file> [--new] [--path=/x] [--seconds=5] [--env=K=V,…]
// e.g. node bench/tools/profile-server.js ws-memory.js
// Forks bench/servers/<file> with --cpu-prof, loads it with autocannon
// (-c 50; returning requests carry a cookie from a first request unless --new),
// stops it, and prints the top frames by self time and by total time.
import { fork } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { startRedis } from '../lib/redis.js';
import { summarize } from './summarize.js';

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--')) ?? 'ws-memory.js';
const opt = (n, d) => args.find((a) => a.startsWith(`--${n}=`))?.slice(n.length + 3) ?? d;
const seconds = Number(opt('seconds', '5'));
const path = opt('path', '/');
const env = Object.fromEntries((opt('env', '') || '').split(',').filter(Boolean).map((kv) => kv.split('=')));
const dir = mkdtempSync(join(tmpdir(), 'ws-prof-'));

let redis = null;
if (/redis/.test(file)) {
  const r = await startRedis();
  if (!r.server) throw new Error(r.reason);
  redis = r.server;
  env.BENCH_REDIS_PORT = String(redis.port);
}
const proc = fork(fileURLToPath(new URL(`../servers/${file}`, import.meta.url)), [], {
  env: { ...process.env, ...env },
  execArgv: ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=100'],
  stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
});
const port = await new Promise((res, rej) => {
  let out = '';
  proc.stdout.on('data', (c) => {
    out += c;
    const m = /PORT (\d+)/.exec(out);
    if (m) res(Number(m[1]));
    if (/UNAVAILABLE/.test(out)) rej(new Error(out));
  });
});
const get = (headers = {}) =>
  new Promise((res, rej) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers, agent: false }, (r) => {
      r.resume();
      r.on('end', () => res(r.headers));
    });
    req.on('error', rej);
    req.end();
  });
const headers = {};
if (!args.includes('--new')) headers.cookie = ((await get())['set-cookie'] ?? []).map((l) => l.split(';')[0]).join('; ');
const run = (duration) => new Promise((res, rej) => autocannon({ url: `http://127.0.0.1:${port}${path}`, connections: 50, duration, headers }, (e, r) => (e ? rej(e) : res(r))));
await run(1);
const r = await run(seconds);
console.log(`${file} ${JSON.stringify(env)} ${path}: ${Math.round(r.requests.total / r.duration)} req/s (profiling on)`);
proc.send('exit');
await new Promise((res) => proc.once('exit', res));
redis?.stop();

const profFile = join(dir, readdirSync(dir).find((f) => f.endsWith('.cpuprofile')));
if (opt('save', '')) copyFileSync(profFile, opt('save', ''));
summarize(profFile, Number(opt('top', '30')));
