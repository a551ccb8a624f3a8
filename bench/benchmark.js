// npm run bench: the crypto core per backend against the anchors, then
// end-to-end HTTP (autocannon) against express-session, iron-session and
// @fastify/secure-session, then the scaling series; writes
// bench/results/latest.{json,md} and two SVG charts.
//
//   npm run bench                 full run (several minutes); writes bench/results/
//   npm run bench -- --quick      smoke run (< 60 s); writes nothing unless --out=DIR
//   options: --only=crypto|http|cost   --rows=<id substring>,…   --out=DIR   --no-write
//            --duration=S --rounds=N --connections=N --scaling=off (overrides, for investigations)
//            --render=FILE  rebuild latest.md and the charts from a saved latest.json (no measuring)
//
// No timing is asserted anywhere: the run fails only when something breaks.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BACKENDS, runCrypto } from './lib/crypto.js';
import { ROWS, runHttp } from './lib/http.js';
import { environment, machineInfo } from './lib/machine.js';
import { command, startRedis } from './lib/redis.js';
import { startPostgres } from './lib/postgres.js';
import { startMemcached } from './lib/memcached.js';
import { runCirculating, runTokenCache } from './lib/circulating.js';
import { VALKEY_DEFS, memoryPerSession, runRedisCost } from './lib/redis-cost.js';
import { runInvalidationLatency } from './lib/invalidation.js';
import { runDurableCost } from './lib/redis-durable.js';
import { runCommandCost } from './lib/redis-commands.js';
import { cryptoRatios, markdown, targets } from './lib/report.js';
import { barChart, logBarChart } from './lib/svg.js';

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const option = (name) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const quick = flag('quick');
const only = option('only')?.split(',') ?? ['crypto', 'http', 'cost'];
const rowFilter = option('rows')?.split(',');
const outDir = option('out') ? resolve(option('out')) : quick || flag('no-write') || rowFilter || option('only') ? null : fileURLToPath(new URL('./results', import.meta.url));

const SETTINGS = quick
  ? { crypto: { maxTime: 0.03, minTime: 0.005, minSamples: 3 }, cryptoScaling: { maxTime: 0.02, minTime: 0.005, minSamples: 3 }, cryptoRounds: { rounds: 3, iterations: { 30: 2000, 2048: 200 } }, connections: 50, duration: 1, warmup: 0.3, rounds: 1, scalingConnections: [1, 10, 50, 200], scalingDuration: 0.5, scalingRounds: 1 }
  : { crypto: { maxTime: 1.5, minSamples: 20 }, cryptoScaling: { maxTime: 0.6, minSamples: 10 }, cryptoRounds: { rounds: 15, iterations: { 30: 20000, 2048: 2000 } }, connections: 50, duration: 5, warmup: 1.5, rounds: 3, scalingConnections: [1, 10, 50, 200], scalingDuration: 3, scalingRounds: 3 };

for (const k of ['duration', 'rounds', 'connections']) if (option(k)) SETTINGS[k] = Number(option(k));
if (option('scaling') === 'off') SETTINGS.scalingConnections = [];

const log = (s) => process.stderr.write(`${s}\n`);

// --render=FILE: rebuild the tables and charts from a saved latest.json (no measuring).
if (option('render')) {
  const saved = JSON.parse(readFileSync(resolve(option('render')), 'utf8'));
  saved.targets = targets(saved.crypto, saved.http, saved.cost);
  const dir = option('out') ? resolve(option('out')) : fileURLToPath(new URL('./results', import.meta.url));
  writeOutputs(saved, dir);
  process.exit(0);
}

const t0 = Date.now();
const result = {
  quick,
  date: new Date().toISOString(),
  machine: machineInfo(),
  env: environment(),
  settings: { connections: SETTINGS.connections, duration: SETTINGS.duration, warmup: SETTINGS.warmup, rounds: SETTINGS.rounds, scalingConnections: SETTINGS.scalingConnections, scalingDuration: SETTINGS.scalingDuration, scalingRounds: SETTINGS.scalingRounds, benchmarkJs: SETTINGS.crypto, benchmarkJsScaling: SETTINGS.cryptoScaling },
  notes: [],
};
log(`wasm-session bench (${quick ? 'quick' : 'full'}) — Node ${process.version}, ${result.machine.cpuModel}, ${result.machine.cores} cores, load ${result.machine.loadAverageAtStart.join(' ')}`);

if (only.includes('crypto')) {
  log('\n== crypto (Benchmark.js)');
  const t = Date.now();
  result.crypto = await runCrypto({ options: SETTINGS.crypto, scalingOptions: SETTINGS.cryptoScaling, rounds: SETTINGS.cryptoRounds, log });
  result.cryptoRatios = cryptoRatios(result.crypto);
  result.timings = { ...result.timings, cryptoSeconds: (Date.now() - t) / 1000 };
}

if (only.includes('http')) {
  log('\n== HTTP (autocannon)');
  const t = Date.now();
  const wanted = rowFilter ? ROWS.filter((r) => rowFilter.some((o) => r.id.includes(o))) : ROWS;
  let redis = null;
  let redisReason = null;
  if (wanted.some((r) => r.redis)) {
    const started = await startRedis();
    redis = started.server;
    redisReason = started.reason;
    if (redis) {
      result.redisVersion = redis.version;
      log(`  redis-server ${redis.version} on 127.0.0.1:${redis.port}`);
    } else {
      log(`  NOTE: ${redisReason}`);
      result.notes.push(redisReason);
    }
  }
  let postgres = null;
  let postgresReason = null;
  if (wanted.some((r) => r.postgres)) {
    const started = await startPostgres();
    postgres = started.server;
    postgresReason = started.reason;
    if (postgres) {
      result.postgresVersion = postgres.version;
      log(`  postgres ${postgres.version} on 127.0.0.1:${postgres.port}`);
    } else {
      log(`  NOTE: ${postgresReason}`);
      result.notes.push(postgresReason);
    }
  }
  let memcached = null;
  let memcachedReason = null;
  if (wanted.some((r) => r.memcached)) {
    const started = await startMemcached();
    memcached = started.server;
    memcachedReason = started.reason;
    if (memcached) log(`  memcached ${memcached.version} on 127.0.0.1:${memcached.port}`);
    else {
      log(`  NOTE: ${memcachedReason}`);
      result.notes.push(memcachedReason);
    }
  }
  try {
    result.http = await runHttp({ ...SETTINGS, redis, redisReason, postgres, postgresReason, memcached, memcachedReason, only: rowFilter, log });
  } finally {
    redis?.stop();
    postgres?.stop();
    memcached?.stop();
  }
  result.timings = { ...result.timings, httpSeconds: (Date.now() - t) / 1000 };
}

// Cost as traffic grows (issue 31): in process, interleaved; Redis CPU from INFO deltas on a redis-server of its own.
if (only.includes('cost')) {
  log('\n== cost as traffic grows (in process)');
  const t = Date.now();
  const cost = {};
  cost.circulating = await runCirculating({ backend: 'wasm', also: BACKENDS.includes('native') ? ['native'] : [], sizes: quick ? [1000, 20_000] : [1000, 100_000], rounds: quick ? 1 : 7, requests: quick ? 20_000 : 100_000, log });
  cost.tokenCache = await runTokenCache({ backend: 'wasm', rounds: quick ? 2 : 5, opens: quick ? 50_000 : 200_000, log });
  const started = await startRedis();
  if (started.server) {
    const port = started.server.port;
    try {
      cost.redis = await runRedisCost({ port, rounds: quick ? 1 : 5, requests: quick ? 1000 : 4000, population: quick ? 200 : 1000, log });
      cost.listpackCost = await runRedisCost({
        port,
        population: quick ? 200 : 1000,
        rounds: quick ? 1 : 5,
        requests: quick ? 1000 : 4000,
        log,
        defs: [
          { id: 'ws-cart-hashtable', label: 'wasm-session, cart shape, hashtable (made under 64)', kind: 'ws', change: true, touchAfter: 60, shape: 'cart', listpack: 64 },
          { id: 'ws-cart-listpack', label: 'wasm-session, cart shape, listpack (made under 256)', kind: 'ws', change: true, touchAfter: 60, shape: 'cart', listpack: 256, vs: 'ws-cart-hashtable' },
        ],
      });
      await command(port, ['CONFIG', 'SET', 'hash-max-listpack-value', '64'], (a) => a.includes('\r\n'));
      // Where the Redis CPU goes: each command and script alone, in the same batches.
      cost.redisCommands = await runCommandCost({ port, rounds: quick ? 1 : 5, commands: quick ? 2000 : 20_000, log });
      cost.memory = await memoryPerSession({ port, count: quick ? 20 : 200, log });
      await command(port, ['CONFIG', 'SET', 'hash-max-listpack-value', '256'], (a) => a.includes('\r\n'));
      cost.memoryListpack256 = await memoryPerSession({ port, count: quick ? 20 : 200, log });
      // Issue 25: the client-side cache's staleness bound (B's write to A's drop).
      cost.invalidation = await runInvalidationLatency({ port, samples: quick ? 200 : 2000, log });
      // Issue 39: what durable: { replicas: 1 } costs, on this server with a replica of its own.
      const replica = await startRedis({ replicaOf: port });
      if (replica.server) {
        try {
          cost.durable = await runDurableCost({ port, rounds: quick ? 1 : 5, requests: quick ? 1000 : 4000, population: quick ? 100 : 500, log });
        } finally {
          replica.server.stop();
        }
      } else result.notes.push(`durable rows not run: ${replica.reason}`);
    } finally {
      started.server.stop();
    }
  } else {
    log(`  NOTE: ${started.reason}`);
    result.notes.push(started.reason);
  }
  // Issue 38: Valkey 9.1 (WS_VALKEY_SERVER, else scripts/fetch-valkey.sh), ioredis and node-redis.
  const valkeyBin = process.env.WS_VALKEY_SERVER || spawnSync('bash', [new URL('../scripts/fetch-valkey.sh', import.meta.url).pathname], { encoding: 'utf8' }).stdout.trim();
  const valkey = valkeyBin ? await startRedis({ bin: valkeyBin }) : { server: null, reason: 'no valkey-server (scripts/fetch-valkey.sh failed): the Valkey rows are not run' };
  if (valkey.server) {
    log(`  ${valkey.server.version} on 127.0.0.1:${valkey.server.port}`);
    try {
      cost.valkey = { version: valkey.server.version.replace(/^valkey /, ''), ...(await runRedisCost({ port: valkey.server.port, defs: VALKEY_DEFS, rounds: quick ? 1 : 5, requests: quick ? 1000 : 4000, population: quick ? 200 : 1000, log })) };
    } finally {
      valkey.server.stop();
    }
  } else {
    log(`  NOTE: ${valkey.reason}`);
    result.notes.push(valkey.reason);
  }
  result.cost = cost;
  result.timings = { ...result.timings, costSeconds: (Date.now() - t) / 1000 };
}

result.targets = targets(result.crypto, result.http, result.cost);
result.notes.push(`The machine has ${result.machine.cores} cores: in the HTTP rows autocannon and the server share them (and redis-server too in the Redis rows), so req/s are lower than on separate machines and the ratios between rows are what carries over.`);
for (const r of result.http?.rows ?? []) if (!r.available) result.notes.push(`${r.id}: not available — ${r.reason}`);
result.timings = { ...result.timings, totalSeconds: (Date.now() - t0) / 1000 };

console.log(`\n${markdown(result)}`);
if (outDir) writeOutputs(result, outDir);
log(`done in ${result.timings.totalSeconds.toFixed(1)} s`);

// Exit status: 1 when something broke (a server crashed or failed its check, a
// session was not kept, requests errored); never for a figure. Rows whose
// module is not there yet, or the Redis rows without redis-server, do not fail.
const broken = (result.http?.rows ?? []).filter((r) => r.broken || (r.available && (r.verified === false || r.errors > 0 || r.non2xx > 0)));
if (broken.length) {
  log(`\nFAILED: ${broken.map((r) => `${r.id} (${r.reason ?? (r.verified === false ? 'session not kept' : `${r.errors} errors, ${r.non2xx} non-2xx`)})`).join('; ')}`);
  process.exitCode = 1;
}

function writeOutputs(r, dir) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/latest.json`, `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(`${dir}/latest.md`, `${markdown(r)}\n`);
  if (r.cryptoRatios) writeFileSync(`${dir}/crypto-ratios.svg`, cryptoChart(r));
  if (r.http) writeFileSync(`${dir}/http-reqs.svg`, httpChart(r));
  log(`wrote ${dir}/latest.json, latest.md${r.cryptoRatios ? ', crypto-ratios.svg' : ''}${r.http ? ', http-reqs.svg' : ''}`);
}

function subtitleOf(r) {
  return `${r.machine.cpuModel}, ${r.machine.cores} cores · Node ${r.env.node} · ${r.date.slice(0, 10)}${r.quick ? ' · QUICK RUN (rough)' : ''}`;
}

function cryptoChart(r) {
  const groups = r.cryptoRatios.map((q) => ({
    label: q.op,
    bars: [
      { series: 'js', value: q.wasmJs },
      { series: 'node', value: q.wasmNode },
      ...(q.wasmIron ? [{ series: 'anchor', value: q.wasmIron }] : []),
      ...(q.wasmNanoid ? [{ series: 'anchor', value: q.wasmNanoid }] : []),
    ],
  }));
  return logBarChart({
    title: 'wasm backend speed-up (ops/s ratio, log scale; right of the dashed line = wasm faster)',
    subtitle: `${subtitleOf(r)} · anchor = iron-session (seal/open 30 B) or nanoid() (session IDs)`,
    groups,
    series: [
      { key: 'js', label: 'wasm / js (@noble)', color: '#e8a33d' },
      { key: 'node', label: 'wasm / node:crypto', color: '#3b7dd8' },
      { key: 'anchor', label: 'wasm / anchor', color: '#5aa469' },
    ],
    min: 0.1,
  });
}

function httpChart(r) {
  const color = (row) => (row.id.startsWith('ws-') || row.id.startsWith('fastify-wasm') ? '#3b7dd8' : row.id.startsWith('bare') || row.id.startsWith('floor') || row.id === 'fastify-bare' ? '#9a9a9a' : '#e8a33d');
  const rows = [];
  const section = (name, ids) => {
    rows.push({ section: name });
    for (const id of ids) {
      const row = r.http.rows.find((q) => q.id === id);
      if (!row) continue;
      rows.push({ label: `${row.label}${row.mode === 'none' ? '' : `, ${row.mode}`}`, value: row.available ? row.reqPerSec : NaN, color: color(row), note: row.available ? `p99 ${row.latencyP99Ms} ms` : 'not available' });
    }
  };
  section('node:http, sessions in memory', ['bare-http', 'floor-http', 'ws-memory-native-returning', 'ws-memory-wasm-returning', 'ws-memory-wasm-read', 'ws-memory-wasm-user-returning', 'ws-memory-wasm-remember-returning', 'ws-memory-js-returning', 'ws-memory-node-returning', 'ws-memory-native-new', 'ws-memory-wasm-new', 'ws-memory-js-new', 'ws-memory-node-new', 'express-session-returning', 'express-session-new', 'iron-session-returning']);
  section('sessions in memcached', ['ws-memcache-wasm-returning', 'ws-memcache-wasm-read']);
  section('sessions in Redis', ['ws-redis-native-returning', 'ws-redis-native-read', 'ws-redis-native-new', 'ws-redis-wasm-returning', 'ws-redis-wasm-read', 'ws-redis-wasm-user-returning', 'ws-redis-wasm-user-read', 'ws-redis-wasm-remember-returning', 'ws-redis-wasm-new', 'ws-redis-wasm-cache-read', 'ws-redis-wasm-cache-returning', 'handwritten-redis-read', 'handwritten-redis-returning', 'express-connect-redis-returning']);
  section('sessions in SQL', ['ws-pg-wasm-returning', 'ws-pg-wasm-read', 'express-connect-pg-returning', 'express-connect-pg-read', 'ws-sqlite-wasm-returning', 'ws-sqlite-wasm-read', 'ws-sqlmem-wasm-returning', 'ws-sqlmem-wasm-read']);
  section('fastify', ['fastify-bare', 'floor-fastify', 'fastify-wasm-session-native-returning', 'fastify-wasm-session-returning', 'fastify-secure-session-returning']);
  return barChart({
    title: `req/s, autocannon -c ${r.settings.connections}, median of ${r.settings.rounds} interleaved run(s) of ${r.settings.duration} s`,
    subtitle: `${subtitleOf(r)} · client and server share the cores`,
    rows,
    legend: [
      { label: 'wasm-session', color: '#3b7dd8' },
      { label: 'other libraries', color: '#e8a33d' },
      { label: 'no sessions', color: '#9a9a9a' },
    ],
  });
}
