// Redis-side cost per session operation, wasm-session (Session + RedisProvider
// over ioredis, the manager's real path with fake req/res) beside
// express-session + connect-redis (connect-redis 9 over node-redis 5, called as
// express-session's middleware calls it: get, then set when the session
// changed or touch when it did not), on the same redis-server in one run.
//
// Per side and round: INFO cpu (redis-server user+sys CPU) and INFO
// commandstats deltas over `requests` returning requests, `concurrency` in
// flight (the same for every side: Redis's cost per command depends on how
// many arrive per socket read). Sides interleaved (A B C … A B C …), median
// per side; ratios against the express-session side of the same operation.
// Then MEMORY USAGE per session for the common record shapes.
import { Redis } from 'ioredis';
import { RedisStore } from 'connect-redis';
import { createClient } from 'redis';
import { Session } from '../../dist/index.js';
import { RedisProvider } from '../../dist/providers/redis/provider.js';
import { command } from './redis.js';
import { bulkDone } from '../../test/helpers/loopback.js';
import { FakeRes } from './fake-res.js';

const SECRET = 'benchmark secret, at least 32 characters long';
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** INFO commandstats: { cmd: { calls, usec } } (INFO itself left out). */
async function stats(port) {
  const answer = await command(port, ['INFO', 'commandstats'], bulkDone);
  const out = {};
  for (const m of answer.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) if (m[1] !== 'info') out[m[1]] = { calls: Number(m[2]), usec: Number(m[3]) };
  return out;
}
async function cpu(port) {
  const answer = await command(port, ['INFO', 'cpu'], bulkDone);
  const get = (k) => Number(new RegExp(`^${k}:([0-9.]+)`, 'm').exec(answer)?.[1] ?? NaN);
  return (get('used_cpu_user') + get('used_cpu_sys')) * 1e6;
}
function delta(a, b) {
  const out = {};
  for (const [k, v] of Object.entries(b)) {
    const calls = v.calls - (a[k]?.calls ?? 0);
    if (calls > 0) out[k] = { calls, usec: v.usec - (a[k]?.usec ?? 0) };
  }
  return out;
}


/** wasm-session: one request through the manager (start, read `n`, maybe change it, end). */
export async function wsRequest(session, cookie, change, data) {
  const req = { headers: cookie ? { cookie } : {} };
  const res = new FakeRes();
  const finished = new Promise((r) => (res.done = r));
  const store = await session.start(req, res);
  // A cookie that did not restore would measure a new session instead: the run fails.
  if (cookie && store.isNew()) throw new Error('a returning request got a new session');
  const v = store.getValue();
  if (data) for (const [k, val] of Object.entries(data)) v.set(k, val);
  if (change) v.set('n', v.int('n') + 1);
  res.end('x');
  await finished;
  if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
  return res;
}

/** A wasm-session side: its own Session/provider/client and `population` sessions. */
async function wsSide(port, { touchAfter = 0, autoPipelining = false, cache = false, population, change, mix = 0, client: kind = 'ioredis', saveWith, label, prefix, shape }) {
  // node-redis pipelines a tick's commands by itself (as ioredis does with enableAutoPipelining).
  const client = kind === 'node-redis' ? createClient({ socket: { host: '127.0.0.1', port } }) : new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, enableAutoPipelining: autoPipelining });
  if (kind === 'node-redis') await client.connect();
  const provider = new RedisProvider(client, { prefix, touchAfter, ...(saveWith ? { saveWith } : {}), ...(cache ? { cache: { maxBytes: 64 << 20 } } : {}) });
  const session = new Session(provider, { cookieSecret: SECRET, backend: 'wasm' });
  let failed = 0;
  session.on('error', () => failed++);
  const cookies = [];
  for (let i = 0; i < population; i++) {
    const res = await wsRequest(session, null, true, SHAPES[shape]);
    cookies.push(String(res.getHeader('set-cookie')).split(';')[0]);
  }
  return {
    label,
    // mix: the fraction of requests that change the session (the rest only read).
    request: (i) => wsRequest(session, cookies[i % cookies.length], mix > 0 ? i % Math.round(1 / mix) === 0 : change),
    failed: () => failed,
    close: async () => {
      await provider.cache?.close();
      await client.quit();
    },
  };
}

/** express-session + connect-redis: the store calls its middleware makes for a returning request. */
async function esSide(port, { population, change, mix = 0, label, prefix, shape }) {
  const client = createClient({ socket: { host: '127.0.0.1', port } });
  await client.connect();
  const store = new RedisStore({ client, prefix });
  const maxAge = 86_400_000;
  const sids = [];
  for (let i = 0; i < population; i++) {
    const sid = `es-bench-${i}-${Math.random().toString(36).slice(2, 12)}`;
    await store.set(sid, { cookie: { originalMaxAge: maxAge, expires: new Date(Date.now() + maxAge).toISOString(), httpOnly: true, path: '/' }, ...SHAPES[shape], n: 1 });
    sids.push(sid);
  }
  return {
    label,
    async request(i) {
      const sid = sids[i % sids.length];
      const sess = await store.get(sid);
      if (!sess) throw new Error('express-session side lost a session');
      // express-session: a rolling cookie's expiry moves on; modified → set, else → touch.
      sess.cookie.expires = new Date(Date.now() + maxAge).toISOString();
      if (mix > 0 ? i % Math.round(1 / mix) === 0 : change) {
        sess.n += 1;
        await store.set(sid, sess);
      } else await store.touch(sid, sess);
    },
    failed: () => 0,
    close: () => client.quit(),
  };
}

async function drive(side, requests, concurrency) {
  let next = 0;
  const worker = async () => {
    while (next < requests) await side.request(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/**
 * Runs every side `rounds` times, interleaved. Sides: { id, label, kind: 'ws'|'es', op: 'change'|'read', touchAfter }.
 */
export async function runRedisCost({ port, defs: given = null, shape = process.env.SHAPE ?? 'none', rounds = Number(process.env.ROUNDS ?? 5), requests = Number(process.env.REQUESTS ?? 4000), concurrency = Number(process.env.CONCURRENCY ?? 16), population = 1000, only = null, log = () => {} }) {
  const defs = given ?? [
    { id: 'es-change', label: 'express-session + connect-redis, read+change', kind: 'es', change: true },
    { id: 'ws-change', label: 'wasm-session, read+change', kind: 'ws', change: true, vs: 'es-change' },
    { id: 'ws-change-ta', label: 'wasm-session, read+change, touchAfter 60', kind: 'ws', change: true, touchAfter: 60, vs: 'es-change' },
    // ioredis with enableAutoPipelining: a tick's commands in one write, as node-redis does by default.
    { id: 'ws-change-ta-ap', label: 'wasm-session, read+change, touchAfter 60, ioredis auto-pipelining', kind: 'ws', change: true, touchAfter: 60, autoPipelining: true, vs: 'es-change' },
    // The opt-in client-side cache (issue 25): the restore is served in process, so a read+change is the save alone.
    { id: 'ws-change-cache-ap', label: 'wasm-session, read+change, client-side cache, touchAfter 60, ioredis auto-pipelining', kind: 'ws', change: true, touchAfter: 60, autoPipelining: true, cache: true, vs: 'es-change' },
    // node-redis 5 as the app's client (issue 38), beside ioredis with auto-pipelining.
    { id: 'ws-change-ta-nr', label: 'wasm-session, read+change, touchAfter 60, node-redis', kind: 'ws', change: true, touchAfter: 60, client: 'node-redis', vs: 'es-change' },
    { id: 'es-read', label: 'express-session + connect-redis, read-only', kind: 'es', change: false },
    { id: 'ws-read', label: 'wasm-session, read-only', kind: 'ws', change: false, vs: 'es-read' },
    { id: 'ws-read-ta', label: 'wasm-session, read-only, touchAfter 60', kind: 'ws', change: false, touchAfter: 60, vs: 'es-read' },
    { id: 'ws-read-ta-ap', label: 'wasm-session, read-only, touchAfter 60, ioredis auto-pipelining', kind: 'ws', change: false, touchAfter: 60, autoPipelining: true, vs: 'es-read' },
    { id: 'ws-read-ta-nr', label: 'wasm-session, read-only, touchAfter 60, node-redis', kind: 'ws', change: false, touchAfter: 60, client: 'node-redis', vs: 'es-read' },
  ].filter((d) => given || !only || only.some((o) => d.id.includes(o)) || (d.vs === undefined && only.some((o) => o.startsWith('ws-') && d.id === `es-${o.split('-')[1]}`)));
  const sides = [];
  for (const d of defs) {
    const make = d.kind === 'ws' ? wsSide : esSide;
    // A side made under another hash-max-listpack-value keeps the encoding it got (a hash never converts back).
    if (d.listpack) await command(port, ['CONFIG', 'SET', 'hash-max-listpack-value', String(d.listpack)], (a) => a.includes('\r\n'));
    const side = await make(port, { shape, ...d, population, prefix: `rc:${d.shape ?? shape}:${d.id}:` });
    sides.push({ ...d, side, cpu: [], usec: [], calls: [], commands: {}, usecOf: {} });
  }
  for (const s of sides) await drive(s.side, Math.min(requests, 1000), concurrency); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const s of sides) {
      const st0 = await stats(port);
      const c0 = await cpu(port);
      await drive(s.side, requests, concurrency);
      const c1 = await cpu(port);
      const d = delta(st0, await stats(port));
      s.cpu.push((c1 - c0) / requests);
      // Top-level commands only for time: a script's usec already holds its inner calls.
      let calls = 0;
      let usec = 0;
      for (const [k, v] of Object.entries(d)) {
        calls += v.calls;
        s.commands[k] = (s.commands[k] ?? 0) + v.calls;
        s.usecOf[k] = (s.usecOf[k] ?? 0) + v.usec;
        if (!INNER.has(k) || !('evalsha' in d || 'eval' in d)) usec += v.usec;
      }
      // Inner calls appear in commandstats too; a command run both inside and outside a script in one side is rare here.
      s.usec.push(usec / requests);
      s.calls.push(calls / requests);
    }
  }
  const rows = sides.map((s) => ({
    id: s.id,
    label: s.label,
    redisCpuUsPerRequest: Number(median(s.cpu).toFixed(1)),
    cpuRuns: s.cpu.map((x) => Number(x.toFixed(1))),
    commandUsecPerRequest: Number(median(s.usec).toFixed(2)),
    commandsPerRequest: Number(median(s.calls).toFixed(2)),
    commands: Object.fromEntries(Object.entries(s.commands).map(([k, v]) => [k, Number((v / (requests * rounds)).toFixed(2))])),
    usecPerCall: Object.fromEntries(Object.entries(s.commands).map(([k, v]) => [k, Number((s.usecOf[k] / v).toFixed(2))])),
    errors: s.side.failed(),
    vs: s.vs ?? null,
  }));
  for (const row of rows) {
    const base = rows.find((x) => x.id === row.vs);
    if (base) row.vsLabel = base.label;
    if (base) {
      row.cpuRatio = Number((row.redisCpuUsPerRequest / base.redisCpuUsPerRequest).toFixed(2));
      row.usecRatio = Number((row.commandUsecPerRequest / base.commandUsecPerRequest).toFixed(2));
    }
    log(`  ${row.label.padEnd(52)} redis CPU ${String(row.redisCpuUsPerRequest).padStart(5)} µs/req${row.cpuRatio ? ` (${row.cpuRatio}×)` : '       '}  cmd time ${String(row.commandUsecPerRequest).padStart(5)} µs${row.usecRatio ? ` (${row.usecRatio}×)` : ''}  ${row.commandsPerRequest} cmds: ${Object.entries(row.commands).map(([k, v]) => `${k} ${v}×${row.usecPerCall[k]}µs`).join(', ')}  [runs ${row.cpuRuns.join(' ')}]`);
  }
  for (const s of sides) await s.side.close();
  return { settings: { rounds, requests, concurrency, population, shape }, rows };
}

/** Commands that the scripts call inside: their time is inside the EVALSHA's. */
const INNER = new Set(['hgetall', 'hmget', 'hset', 'hdel', 'expire', 'ttl', 'exists', 'del', 'persist', 'hget', 'pexpire']);

/**
 * The rows of issue 38 on Valkey 9.1 (where a save within touchAfter is
 * Lua-free: MULTI, HSETEX … XX, HGET, EXEC), ioredis and node-redis, beside
 * express-session + connect-redis on the same server: read+change, read-only,
 * and a 90 % read-only / 10 % change mix (with the client-side cache).
 */
export const VALKEY_DEFS = [
  { id: 'es-change', label: 'express-session + connect-redis, read+change', kind: 'es', change: true },
  { id: 'ws-change-ta-ap', label: 'wasm-session, read+change, touchAfter 60, ioredis auto-pipelining (Lua-free save)', kind: 'ws', change: true, touchAfter: 60, autoPipelining: true, vs: 'es-change' },
  { id: 'ws-change-ta-ap-lua', label: "wasm-session, read+change, touchAfter 60, ioredis auto-pipelining, saveWith 'lua'", kind: 'ws', change: true, touchAfter: 60, autoPipelining: true, saveWith: 'lua', vs: 'es-change' },
  { id: 'ws-change-ta-nr', label: 'wasm-session, read+change, touchAfter 60, node-redis (Lua-free save)', kind: 'ws', change: true, touchAfter: 60, client: 'node-redis', vs: 'es-change' },
  { id: 'es-read', label: 'express-session + connect-redis, read-only', kind: 'es', change: false },
  { id: 'ws-read-ta-ap', label: 'wasm-session, read-only, touchAfter 60, ioredis auto-pipelining', kind: 'ws', change: false, touchAfter: 60, autoPipelining: true, vs: 'es-read' },
  { id: 'ws-read-ta-nr', label: 'wasm-session, read-only, touchAfter 60, node-redis', kind: 'ws', change: false, touchAfter: 60, client: 'node-redis', vs: 'es-read' },
  { id: 'es-mix', label: 'express-session + connect-redis, 90 % read-only / 10 % change', kind: 'es', mix: 0.1 },
  { id: 'ws-mix-cache-ap', label: 'wasm-session, 90 % read-only / 10 % change, client-side cache, touchAfter 60, ioredis auto-pipelining', kind: 'ws', mix: 0.1, touchAfter: 60, autoPipelining: true, cache: true, vs: 'es-mix' },
];

/**
 * Bytes per session (MEMORY USAGE, which counts the key, the value and
 * Redis's overhead) for common record shapes, wasm-session's hash beside
 * connect-redis's JSON string (express-session's record: the data plus its
 * `cookie` object), at the server's current hash-max-listpack-value.
 */
export const SHAPES = {
  // Only the bench's counter.
  none: {},
  // A user id, a few flags, a CSRF token: every field's JSON ≤ 64 B.
  small: { userId: 'u_4f9c2a1e7b', role: 'member', beta: true, locale: 'en-GB', csrf: 'kq3H9vLx2PzT7mWc8RyN4bJd6FgA1sUe0oXiVhQrYtM' },
  // The same and a cart: one field of 109 B of JSON.
  cart: {
    userId: 'u_4f9c2a1e7b',
    role: 'member',
    beta: true,
    locale: 'en-GB',
    csrf: 'kq3H9vLx2PzT7mWc8RyN4bJd6FgA1sUe0oXiVhQrYtM',
    cart: [{ sku: 'SKU-10293', qty: 2, price: 1999 }, { sku: 'SKU-55810', qty: 1, price: 4999 }],
  },
};

export async function memoryPerSession({ port, count = 200, log = () => {} }) {
  const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
  const node = createClient({ socket: { host: '127.0.0.1', port } });
  await node.connect();
  const session = new Session(new RedisProvider(client, { prefix: 'mem:ws:' }), { cookieSecret: SECRET, backend: 'wasm' });
  const es = new RedisStore({ client: node, prefix: 'mem:es:' });
  const maxAge = 86_400_000;
  const out = {};
  try {
    const limit = Number((await client.config('GET', 'hash-max-listpack-value'))[1]);
    for (const [name, data] of Object.entries(SHAPES)) {
      if (name === 'none') continue;
      const fieldBytes = Math.max(...Object.values(data).map((v) => Buffer.byteLength(JSON.stringify(v))));
      let ws = 0;
      let esBytes = 0;
      let encoding = '';
      for (let i = 0; i < count; i++) {
        const req = { headers: {} };
        const res = new FakeRes();
        const finished = new Promise((r) => (res.done = r));
        const store = await session.start(req, res);
        const v = store.getValue();
        for (const [k, val] of Object.entries(data)) v.set(k, val);
        res.end('x');
        await finished;
        const key = session.provider.keyFor(store.sessionID());
        ws += Number(await client.memory('USAGE', key, 'SAMPLES', '0'));
        encoding = String(await client.object('ENCODING', key));
        const sid = `${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`.slice(0, 32);
        await es.set(sid, { cookie: { originalMaxAge: maxAge, expires: new Date(Date.now() + maxAge).toISOString(), httpOnly: true, path: '/' }, ...data });
        esBytes += Number(await client.memory('USAGE', `mem:es:${sid}`, 'SAMPLES', '0'));
      }
      const row = { shape: name, largestFieldBytes: fieldBytes, hashMaxListpackValue: limit, encoding, wsBytes: Math.round(ws / count), connectRedisBytes: Math.round(esBytes / count) };
      row.ratio = Number((row.wsBytes / row.connectRedisBytes).toFixed(2));
      out[name] = row;
      log(`  bytes/session, ${name.padEnd(5)} (largest field ${fieldBytes} B, hash-max-listpack-value ${limit}): wasm-session ${row.wsBytes} B (${encoding}), connect-redis ${row.connectRedisBytes} B: ${row.ratio}×`);
    }
  } finally {
    await client.quit();
    await node.quit();
  }
  return out;
}
