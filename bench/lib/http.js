// End-to-end HTTP: every server in its own child process (bench/servers/*.js),
// autocannon (programmatic) in this process, the same connections and
// duration for every row, rounds interleaved (A B C … A B C …), median of
// the rounds reported. For the Redis rows: INFO commandstats before/after
// each run and the round trips the server's Redis client issued.
import { fork } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { commandStats, cpuMicros, diffStats } from './redis.js';

const SERVERS = fileURLToPath(new URL('../servers/', import.meta.url));
const HOST = '127.0.0.1';

/**
 * The rows. `mode`: `returning` = every request carries the cookie a first
 * request got (the handler reads a counter and increments it); `new` = no
 * cookie (each request creates a session, and gets a cookie); `none` = no sessions.
 * `returning, read-only`: the cookie, and a handler that only reads (GET /read).
 * `cookieStore`: the whole session lives in the cookie (iron-session,
 * secure-session): every run re-sends the same cookie, so the counter the
 * server sees stays at 2 — the work per request is the same (open, change, re-seal).
 */
export const ROWS = [
  { id: 'bare-http', label: 'bare node:http', file: 'bare-http.js', mode: 'none' },
  // The session rows' floor: their server, cookie and await, with no session work (see the file).
  { id: 'floor-http', label: 'node:http floor: library loaded, async handler, session-sized cookie, no session work', file: 'floor-http.js', mode: 'returning', cookieStore: true },
  { id: 'ws-memory-native-returning', label: 'wasm-session, memory, native', file: 'ws-memory.js', env: { BENCH_BACKEND: 'native' }, mode: 'returning' },
  { id: 'ws-memory-wasm-returning', label: 'wasm-session, memory, wasm', file: 'ws-memory.js', env: { BENCH_BACKEND: 'wasm' }, mode: 'returning' },
  { id: 'ws-memory-js-returning', label: 'wasm-session, memory, js', file: 'ws-memory.js', env: { BENCH_BACKEND: 'js' }, mode: 'returning' },
  { id: 'ws-memory-node-returning', label: 'wasm-session, memory, node', file: 'ws-memory.js', env: { BENCH_BACKEND: 'node' }, mode: 'returning' },
  { id: 'ws-memory-native-new', label: 'wasm-session, memory, native', file: 'ws-memory.js', env: { BENCH_BACKEND: 'native' }, mode: 'new' },
  { id: 'ws-memory-wasm-read', label: 'wasm-session, memory, wasm', file: 'ws-memory.js', env: { BENCH_BACKEND: 'wasm' }, mode: 'returning, read-only', path: '/read' },
  { id: 'ws-memory-wasm-user-returning', label: 'wasm-session, memory, wasm, user-bound (login)', file: 'ws-memory.js', env: { BENCH_BACKEND: 'wasm', BENCH_USER: '1' }, mode: 'returning' },
  { id: 'ws-memory-wasm-remember-returning', label: 'wasm-session, memory, wasm, remembered user (login remember, resume)', file: 'ws-memory.js', env: { BENCH_BACKEND: 'wasm', BENCH_REMEMBER: '1' }, mode: 'returning' },
  { id: 'ws-memory-wasm-new', label: 'wasm-session, memory, wasm', file: 'ws-memory.js', env: { BENCH_BACKEND: 'wasm' }, mode: 'new' },
  { id: 'ws-memory-js-new', label: 'wasm-session, memory, js', file: 'ws-memory.js', env: { BENCH_BACKEND: 'js' }, mode: 'new' },
  { id: 'ws-memory-node-new', label: 'wasm-session, memory, node', file: 'ws-memory.js', env: { BENCH_BACKEND: 'node' }, mode: 'new' },
  { id: 'ws-redis-native-returning', label: 'wasm-session, Redis, native', file: 'ws-redis.js', env: { BENCH_BACKEND: 'native' }, mode: 'returning', redis: true },
  { id: 'ws-redis-native-read', label: 'wasm-session, Redis, native', file: 'ws-redis.js', env: { BENCH_BACKEND: 'native' }, mode: 'returning, read-only', path: '/read', redis: true },
  { id: 'ws-redis-native-new', label: 'wasm-session, Redis, native', file: 'ws-redis.js', env: { BENCH_BACKEND: 'native' }, mode: 'new', redis: true },
  { id: 'ws-redis-wasm-returning', label: 'wasm-session, Redis, wasm', file: 'ws-redis.js', env: { BENCH_BACKEND: 'wasm' }, mode: 'returning', redis: true },
  { id: 'ws-redis-wasm-read', label: 'wasm-session, Redis, wasm', file: 'ws-redis.js', env: { BENCH_BACKEND: 'wasm' }, mode: 'returning, read-only', path: '/read', redis: true },
  { id: 'ws-redis-wasm-returning-touchafter', label: 'wasm-session, Redis, wasm, touchAfter 60 s', file: 'ws-redis.js', env: { BENCH_BACKEND: 'wasm', BENCH_TOUCH_AFTER: '60' }, mode: 'returning', redis: true },
  { id: 'ws-redis-wasm-read-touchafter', label: 'wasm-session, Redis, wasm, touchAfter 60 s', file: 'ws-redis.js', env: { BENCH_BACKEND: 'wasm', BENCH_TOUCH_AFTER: '60' }, mode: 'returning, read-only', path: '/read', redis: true },
  { id: 'ws-redis-wasm-user-returning', label: 'wasm-session, Redis, wasm, user-bound (login)', file: 'ws-redis.js', env: { BENCH_BACKEND: 'wasm', BENCH_USER: '1' }, mode: 'returning', redis: true },
  { id: 'ws-redis-wasm-user-read', label: 'wasm-session, Redis, wasm, user-bound (login)', file: 'ws-redis.js', env: { BENCH_BACKEND: 'wasm', BENCH_USER: '1' }, mode: 'returning, read-only', path: '/read', redis: true },
  { id: 'ws-redis-wasm-remember-returning', label: 'wasm-session, Redis, wasm, remembered user (login remember, resume)', file: 'ws-redis.js', env: { BENCH_BACKEND: 'wasm', BENCH_REMEMBER: '1' }, mode: 'returning', redis: true },
  { id: 'ws-redis-wasm-new', label: 'wasm-session, Redis, wasm', file: 'ws-redis.js', env: { BENCH_BACKEND: 'wasm' }, mode: 'new', redis: true },
  // One session shared by every connection: concurrent saves of one record, merged with check-and-set.
  { id: 'ws-memcache-wasm-returning', label: 'wasm-session, memcached, wasm', file: 'ws-memcache.js', mode: 'returning', memcached: true },
  { id: 'ws-memcache-wasm-read', label: 'wasm-session, memcached, wasm', file: 'ws-memcache.js', mode: 'returning, read-only', path: '/read', memcached: true },
  { id: 'ws-redis-wasm-cache-read', label: 'wasm-session, Redis, wasm, client-side cache', file: 'ws-redis.js', env: { BENCH_BACKEND: 'wasm', BENCH_CACHE: '1' }, mode: 'returning, read-only', path: '/read', redis: true },
  { id: 'ws-redis-wasm-cache-returning', label: 'wasm-session, Redis, wasm, client-side cache', file: 'ws-redis.js', env: { BENCH_BACKEND: 'wasm', BENCH_CACHE: '1' }, mode: 'returning', redis: true },
  { id: 'handwritten-redis-read', label: 'hand-written node:crypto cookie + ioredis GET', file: 'handwritten-redis.js', mode: 'returning, read-only', path: '/read', redis: true },
  { id: 'handwritten-redis-returning', label: 'hand-written node:crypto cookie + ioredis GET/SET', file: 'handwritten-redis.js', mode: 'returning', redis: true },
  { id: 'express-bare', label: 'express, no sessions', file: 'express-bare.js', mode: 'none' },
  { id: 'express-session-returning', label: 'express + express-session (MemoryStore)', file: 'express-session.js', mode: 'returning' },
  { id: 'express-session-new', label: 'express + express-session (MemoryStore)', file: 'express-session.js', mode: 'new' },
  { id: 'express-connect-redis-returning', label: 'express-session + connect-redis', file: 'express-connect-redis.js', mode: 'returning', redis: true },
  { id: 'express-connect-redis-read', label: 'express-session + connect-redis', file: 'express-connect-redis.js', mode: 'returning, read-only', path: '/read', redis: true },
  { id: 'express-compat-returning', label: 'express + wasm-session/express-session (MemoryStore)', file: 'express-session.js', env: { BENCH_SESSION_MODULE: 'wasm-session/express-session' }, mode: 'returning' },
  { id: 'express-compat-new', label: 'express + wasm-session/express-session (MemoryStore)', file: 'express-session.js', env: { BENCH_SESSION_MODULE: 'wasm-session/express-session' }, mode: 'new' },
  { id: 'express-compat-signed-returning', label: "express + wasm-session/express-session (MemoryStore), cookieFormat 'signed'", file: 'express-session.js', env: { BENCH_SESSION_MODULE: 'wasm-session/express-session', BENCH_COOKIE_FORMAT: 'signed' }, mode: 'returning' },
  { id: 'express-compat-connect-redis-returning', label: 'wasm-session/express-session + connect-redis', file: 'express-connect-redis.js', env: { BENCH_SESSION_MODULE: 'wasm-session/express-session' }, mode: 'returning', redis: true },
  // SQL stores (issue 26): PostgresProvider beside express-session + connect-pg-simple on the same PostgreSQL
  // (pg Pools of 10), SqliteProvider beside the memory provider in the same server file (ws-sql.js).
  { id: 'ws-pg-wasm-returning', label: 'wasm-session, PostgreSQL (PostgresProvider), wasm', file: 'ws-sql.js', env: { BENCH_PROVIDER: 'postgres' }, mode: 'returning', postgres: true },
  { id: 'ws-pg-wasm-read', label: 'wasm-session, PostgreSQL (PostgresProvider, touchAfter 60), wasm', file: 'ws-sql.js', env: { BENCH_PROVIDER: 'postgres' }, mode: 'returning, read-only', path: '/read', postgres: true },
  { id: 'express-connect-pg-returning', label: 'express-session + connect-pg-simple', file: 'express-connect-pg.js', mode: 'returning', postgres: true },
  { id: 'express-connect-pg-read', label: 'express-session + connect-pg-simple', file: 'express-connect-pg.js', mode: 'returning, read-only', path: '/read', postgres: true },
  { id: 'ws-sqlite-wasm-returning', label: 'wasm-session, SQLite (SqliteProvider, WAL), wasm', file: 'ws-sql.js', env: { BENCH_PROVIDER: 'sqlite' }, mode: 'returning' },
  { id: 'ws-sqlite-wasm-read', label: 'wasm-session, SQLite (SqliteProvider, WAL, touchAfter 60), wasm', file: 'ws-sql.js', env: { BENCH_PROVIDER: 'sqlite' }, mode: 'returning, read-only', path: '/read' },
  { id: 'ws-sqlmem-wasm-returning', label: 'wasm-session, memory (the SQL rows\' handler), wasm', file: 'ws-sql.js', env: { BENCH_PROVIDER: 'memory' }, mode: 'returning' },
  { id: 'ws-sqlmem-wasm-read', label: 'wasm-session, memory (the SQL rows\' handler), wasm', file: 'ws-sql.js', env: { BENCH_PROVIDER: 'memory' }, mode: 'returning, read-only', path: '/read' },
  { id: 'iron-session-returning', label: 'iron-session (node:http)', file: 'iron-session.js', mode: 'returning', cookieStore: true },
  { id: 'fastify-bare', label: 'fastify, no sessions', file: 'fastify-bare.js', mode: 'none' },
  { id: 'floor-fastify', label: 'fastify floor: library loaded, the plugin\'s three empty hooks, session-sized cookie, no session work', file: 'floor-fastify.js', mode: 'returning', cookieStore: true },
  { id: 'fastify-wasm-session-native-returning', label: 'fastify + wasm-session plugin, memory, native', file: 'fastify-wasm-session.js', env: { BENCH_BACKEND: 'native' }, mode: 'returning' },
  { id: 'fastify-wasm-session-returning', label: 'fastify + wasm-session plugin, memory, wasm', file: 'fastify-wasm-session.js', mode: 'returning' },
  { id: 'fastify-secure-session-returning', label: 'fastify + @fastify/secure-session', file: 'fastify-secure-session.js', mode: 'returning', cookieStore: true },
  // Sessions with no store: the value sealed in the cookie, opened and re-sealed on every request.
  { id: 'ws-cookie-200b-returning', label: 'wasm-session, CookieProvider, 200 B value', file: 'ws-cookie.js', env: { BENCH_VALUE_BYTES: '200' }, mode: 'returning', cookieStore: true },
  { id: 'iron-session-200b-returning', label: 'iron-session (node:http), 200 B value', file: 'iron-session.js', env: { BENCH_VALUE_BYTES: '200' }, mode: 'returning', cookieStore: true },
  { id: 'fastify-ws-cookie-200b-returning', label: 'fastify + wasm-session plugin, CookieProvider, 200 B value', file: 'fastify-wasm-session.js', env: { BENCH_PROVIDER: 'cookie', BENCH_BACKEND: 'auto', BENCH_VALUE_BYTES: '200' }, mode: 'returning', cookieStore: true },
  { id: 'fastify-secure-session-200b-returning', label: 'fastify + @fastify/secure-session, 200 B value', file: 'fastify-secure-session.js', env: { BENCH_VALUE_BYTES: '200' }, mode: 'returning', cookieStore: true },
  { id: 'ws-cookie-2600b-returning', label: 'wasm-session, CookieProvider, 2600 B value', file: 'ws-cookie.js', env: { BENCH_VALUE_BYTES: '2600' }, mode: 'returning', cookieStore: true },
  { id: 'iron-session-2600b-returning', label: 'iron-session (node:http), 2600 B value (about its largest)', file: 'iron-session.js', env: { BENCH_VALUE_BYTES: '2600' }, mode: 'returning', cookieStore: true },
  { id: 'ws-cookie-3k-returning', label: 'wasm-session, CookieProvider, 3072 B value', file: 'ws-cookie.js', env: { BENCH_VALUE_BYTES: '3072' }, mode: 'returning', cookieStore: true },
  { id: 'iron-session-3k-returning', label: 'iron-session (node:http), 3072 B value', file: 'iron-session.js', env: { BENCH_VALUE_BYTES: '3072' }, mode: 'returning', cookieStore: true },
  { id: 'fastify-ws-cookie-3k-returning', label: 'fastify + wasm-session plugin, CookieProvider, 3072 B value', file: 'fastify-wasm-session.js', env: { BENCH_PROVIDER: 'cookie', BENCH_BACKEND: 'auto', BENCH_VALUE_BYTES: '3072' }, mode: 'returning', cookieStore: true },
  { id: 'fastify-secure-session-3k-returning', label: 'fastify + @fastify/secure-session, 3072 B value', file: 'fastify-secure-session.js', env: { BENCH_VALUE_BYTES: '3072' }, mode: 'returning', cookieStore: true },
];

/** Rows of the req/s-against-connections series. */
export const SCALING_ROWS = ['ws-memory-native-returning', 'ws-memory-wasm-returning', 'express-session-returning'];

/** Forks one server; resolves { proc, port } or { unavailable }. */
function startServer(row, redisPort, pgPort, memcachedPort) {
  return new Promise((resolve) => {
    const env = { ...process.env, ...row.env };
    if (redisPort) env.BENCH_REDIS_PORT = String(redisPort);
    else delete env.BENCH_REDIS_PORT;
    if (pgPort) env.BENCH_PG_PORT = String(pgPort);
    else delete env.BENCH_PG_PORT;
    if (memcachedPort) env.BENCH_MEMCACHED_PORT = String(memcachedPort);
    else delete env.BENCH_MEMCACHED_PORT;
    const proc = fork(SERVERS + row.file, [], { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], execArgv: row.execArgv ?? [] });
    let out = '';
    let err = '';
    let done = false;
    const finish = (v) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(v);
    };
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      finish({ unavailable: `server did not start within 20 s: ${err.trim().slice(-300)}` });
    }, 20_000);
    proc.stdout.on('data', (c) => {
      out += c;
      const port = /^PORT (\d+)$/m.exec(out);
      if (port) finish({ proc, port: Number(port[1]) });
      const un = /^UNAVAILABLE (.*)$/m.exec(out);
      if (un) finish({ unavailable: un[1], declined: true });
    });
    proc.stderr.on('data', (c) => {
      err = (err + c).slice(-4000);
      if (done && process.env.BENCH_VERBOSE) process.stderr.write(`[${row.id}] ${c}`);
    });
    proc.once('exit', (code) => {
      row.exitInfo = `exited with code ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`;
      finish({ unavailable: `server exited at start (${code}): ${err.trim().split('\n').slice(-4).join(' | ')}` });
    });
  });
}

function serverStats(proc) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no stats from server')), 5000);
    const on = (m) => {
      if (m && m.stats) {
        clearTimeout(timer);
        proc.off('message', on);
        resolve(m.stats);
      }
    };
    proc.on('message', on);
    proc.send('stats');
  });
}

/** One plain GET; resolves { status, headers, body }. */
function get(port, headers = {}, path = '/') {
  return new Promise((resolve, reject) => {
    const req = request({ host: HOST, port, path, method: 'GET', headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}

/** `name=value; …` of the Set-Cookie lines of a response. */
function cookieHeader(res) {
  const lines = res.headers['set-cookie'] ?? [];
  return lines.map((l) => l.split(';')[0]).join('; ');
}

function runCannon(opts) {
  return new Promise((resolve, reject) => {
    autocannon({ ...opts, url: `http://${HOST}:${opts.port}${opts.path ?? '/'}`, pipelining: 1 }, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

async function measure(row, connections, duration, redisPort) {
  const before = await serverStats(row.proc);
  const cmdBefore = row.redis && redisPort ? await commandStats(redisPort) : null;
  const redisCpuBefore = cmdBefore ? await cpuMicros(redisPort) : 0;
  const r = await runCannon({ port: row.port, path: row.path, connections, duration, headers: row.cookie ? { cookie: row.cookie } : {} });
  const after = await serverStats(row.proc);
  const redisCpuAfter = cmdBefore ? await cpuMicros(redisPort) : 0;
  const cmdAfter = cmdBefore ? await commandStats(redisPort) : null;
  const served = after.requests - before.requests;
  return {
    connections,
    duration: r.duration,
    requests: r.requests.total,
    served,
    reqPerSec: r.requests.total / r.duration,
    latencyMeanMs: r.latency.mean,
    latencyP50Ms: r.latency.p50,
    latencyP99Ms: r.latency.p99,
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    serverCpuUsPerRequest: (after.cpuUserUs + after.cpuSystemUs - before.cpuUserUs - before.cpuSystemUs) / served,
    serverUserCpuUsPerRequest: (after.cpuUserUs - before.cpuUserUs) / served,
    roundTrips: after.roundTrips - before.roundTrips,
    redisClientCommands: after.commands - before.commands,
    redisCommands: cmdBefore ? diffStats(cmdBefore, cmdAfter) : null,
    redisCpuUs: redisCpuAfter - redisCpuBefore,
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};

function summarize(row, runs) {
  const out = {
    id: row.id,
    label: row.label,
    mode: row.mode,
    server: `bench/servers/${row.file}`,
    backend: row.env?.BENCH_BACKEND ?? null,
    available: true,
    reqPerSec: median(runs.map((x) => x.reqPerSec)),
    latencyP99Ms: median(runs.map((x) => x.latencyP99Ms)),
    latencyP50Ms: median(runs.map((x) => x.latencyP50Ms)),
    serverCpuUsPerRequest: median(runs.map((x) => x.serverCpuUsPerRequest)),
    serverUserCpuUsPerRequest: median(runs.map((x) => x.serverUserCpuUsPerRequest)),
    errors: runs.reduce((a, x) => a + x.errors + x.timeouts, 0),
    non2xx: runs.reduce((a, x) => a + x.non2xx, 0),
    verified: row.verified ?? null,
    runs,
  };
  if (row.memcached) {
    const served = runs.reduce((a, x) => a + x.served, 0);
    out.memcached = { roundTripsPerRequest: runs.reduce((a, x) => a + x.roundTrips, 0) / served };
  }
  if (row.redis) {
    const served = runs.reduce((a, x) => a + x.served, 0);
    const cmds = {};
    for (const x of runs) for (const [k, v] of Object.entries(x.redisCommands ?? {})) cmds[k] = (cmds[k] ?? 0) + v;
    out.redis = {
      roundTripsPerRequest: runs.reduce((a, x) => a + x.roundTrips, 0) / served,
      clientCommandsPerRequest: runs.reduce((a, x) => a + x.redisClientCommands, 0) / served,
      commandsPerRequest: Object.fromEntries(Object.entries(cmds).map(([k, v]) => [k, v / served])),
      commandsPerRequestTotal: Object.values(cmds).reduce((a, v) => a + v, 0) / served,
      redisCpuUsPerRequest: runs.reduce((a, x) => a + x.redisCpuUs, 0) / served,
    };
  }
  return out;
}

/** Sanity checks: a returning row really restores (the counter goes up); a new row really sets a cookie. */
async function prepare(row) {
  if (row.mode.startsWith('returning')) {
    const first = await get(row.port);
    row.cookie = cookieHeader(first);
    if (!row.cookie) throw new Error(`${row.id}: the first request got no cookie (status ${first.status})`);
    const second = await get(row.port, { cookie: row.cookie });
    if (Number(second.body) !== 2) throw new Error(`${row.id}: the cookie did not restore the session (second answer ${JSON.stringify(second.body)})`);
    const read = row.path ? await get(row.port, { cookie: row.cookie }, row.path) : null;
    if (read && Number(read.body) !== 2) throw new Error(`${row.id}: ${row.path} did not read the session (answer ${JSON.stringify(read.body)})`);
  } else if (row.mode === 'new') {
    const first = await get(row.port);
    if (!cookieHeader(first)) throw new Error(`${row.id}: a new session got no cookie (status ${first.status})`);
  } else {
    const first = await get(row.port);
    if (first.status !== 200) throw new Error(`${row.id}: status ${first.status}`);
  }
}

async function verifyAfter(row) {
  if (!row.mode.startsWith('returning')) return true;
  const r = await get(row.port, { cookie: row.cookie }, row.path);
  // Cookie stores: the same cookie still opens to n = 1 (answer 2). Server-side
  // stores: every request restored and saved the same session, so the counter
  // is far past 2 (read-only: unchanged at 2, as prepare() left it).
  if (row.cookieStore || row.path === '/read') return Number(r.body) === 2;
  return Number(r.body) > 10;
}

/** Runs `fn` over `items`, at most `n` at a time. */
async function inBatches(items, n, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}

/**
 * Runs the HTTP part. opts: { rounds, duration, warmup, connections,
 * scalingConnections, scalingDuration, scalingRounds, redis, postgres, log, only }.
 */
export async function runHttp(opts) {
  const log = opts.log ?? (() => {});
  const wanted = opts.only ? ROWS.filter((r) => opts.only.some((o) => r.id.includes(o))) : ROWS;
  const rows = wanted.map((r) => ({ ...r }));
  const redisPort = opts.redis?.port ?? null;
  const pgPort = opts.postgres?.port ?? null;
  const memcachedPort = opts.memcached?.port ?? null;
  const unavailable = {};
  log(`  starting ${rows.length} servers…`);
  // A few at a time: ~30 Node processes booting at once on 2 shared cores can pass the 20 s start limit.
  await inBatches(
    rows,
    4,
    async (row) => {
      if (row.redis && !redisPort) {
        unavailable[row.id] = opts.redisReason ?? 'no Redis server';
        return;
      }
      if (row.postgres && !pgPort) {
        unavailable[row.id] = opts.postgresReason ?? 'no PostgreSQL server';
        return;
      }
      if (row.memcached && !memcachedPort) {
        unavailable[row.id] = opts.memcachedReason ?? 'no memcached server';
        return;
      }
      const s = await startServer(row, redisPort, pgPort, memcachedPort);
      if (s.unavailable) {
        unavailable[row.id] = s.unavailable;
        // A server that crashed or hung is a failure; one that said UNAVAILABLE (a module not built yet) is not.
        if (!s.declined) row.broken = true;
        return;
      }
      row.proc = s.proc;
      row.port = s.port;
    },
  );
  const live = rows.filter((r) => r.proc);
  for (const row of live) {
    try {
      await prepare(row);
    } catch (err) {
      unavailable[row.id] = `failed its check: ${err.message}`;
      row.broken = true;
      row.proc.kill('SIGKILL');
      row.proc = null;
    }
  }
  const active = live.filter((r) => r.proc);
  const stopAll = async () => {
    for (const r of active) {
      try {
        r.proc.send('exit');
      } catch {
        // gone
      }
    }
    await new Promise((r) => setTimeout(r, 200));
    for (const r of active) if (r.proc.exitCode === null) r.proc.kill('SIGKILL');
  };
  try {
    log(`  warm-up ${opts.warmup}s each…`);
    for (const row of active) await runCannon({ port: row.port, path: row.path, connections: opts.connections, duration: opts.warmup, headers: row.cookie ? { cookie: row.cookie } : {} });

    const runs = Object.fromEntries(active.map((r) => [r.id, []]));
    for (let round = 1; round <= opts.rounds; round++) {
      for (const row of active) {
        const m = await measure(row, opts.connections, opts.duration, redisPort);
        runs[row.id].push(m);
        log(`  round ${round}/${opts.rounds} ${row.id.padEnd(34)} ${Math.round(m.reqPerSec).toString().padStart(6)} req/s  p99 ${m.latencyP99Ms} ms${m.errors + m.non2xx + m.timeouts ? `  (${m.errors} errors, ${m.timeouts} timeouts, ${m.non2xx} non-2xx)` : ''}`);
      }
    }
    for (const row of active) row.verified = await verifyAfter(row);

    const scaling = [];
    const scaleRows = active.filter((r) => SCALING_ROWS.includes(r.id));
    if (opts.scalingConnections?.length && scaleRows.length) {
      const sruns = {};
      for (let round = 1; round <= opts.scalingRounds; round++) {
        for (const c of opts.scalingConnections) {
          for (const row of scaleRows) {
            const m = await measure(row, c, opts.scalingDuration, redisPort);
            (sruns[`${row.id}@${c}`] ??= []).push(m);
            log(`  scaling ${round}/${opts.scalingRounds} -c ${String(c).padEnd(3)} ${row.id.padEnd(28)} ${Math.round(m.reqPerSec)} req/s  p99 ${m.latencyP99Ms} ms`);
          }
        }
      }
      for (const row of scaleRows) {
        for (const c of opts.scalingConnections) {
          const rs = sruns[`${row.id}@${c}`];
          scaling.push({ id: row.id, connections: c, reqPerSec: median(rs.map((x) => x.reqPerSec)), latencyP99Ms: median(rs.map((x) => x.latencyP99Ms)), runs: rs });
        }
      }
    }

    const results = rows.map((row) => (runs[row.id] ? summarize(row, runs[row.id]) : { id: row.id, label: row.label, mode: row.mode, server: `bench/servers/${row.file}`, backend: row.env?.BENCH_BACKEND ?? null, available: false, broken: row.broken === true, reason: unavailable[row.id] }));
    return { rows: results, scaling };
  } finally {
    await stopAll();
  }
}
