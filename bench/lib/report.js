// Ratios, targets and the Markdown tables (stdout and bench/results/latest.md).
import { fmtRatio } from './svg.js';

const int = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const ns = (n) => (Number.isFinite(n) ? (n >= 10_000 ? `${(n / 1000).toFixed(1)} µs` : `${Math.round(n).toLocaleString('en-US')} ns`) : 'n/a');
const x = (r) => (Number.isFinite(r) ? `${fmtRatio(r)}×` : 'n/a');
const pct = (r) => (Number.isFinite(r) ? `${(r * 100).toFixed(0)}%` : 'n/a');
const ms = (v) => v.toFixed(3);

function findOp(ops, op, backend, size) {
  return ops.find((r) => r.op === op && r.backend === backend && (size === undefined || r.size === size));
}

/** Crypto ratios (by ops/s): wasm/js, wasm/node, wasm/anchor. */
export function cryptoRatios(crypto) {
  const ops = crypto.ops;
  const rows = [];
  const sizes = [...new Set(ops.filter((r) => r.size !== undefined && r.backend === 'wasm').map((r) => r.size))];
  for (const size of sizes) {
    for (const op of ['seal', 'open']) {
      const w = findOp(ops, op, 'wasm', size);
      const iron = size === 30 ? findOp(ops, op, 'iron-session', 30) : undefined;
      const n = findOp(ops, op, 'native', size);
      rows.push({
        op: `${op} ${size} B`,
        ...(n ? { nativeNode: n.hz / findOp(ops, op, 'node', size).hz, nativeWasm: n.hz / w.hz, nativeJs: n.hz / findOp(ops, op, 'js', size).hz } : {}),
        wasmJs: w.hz / findOp(ops, op, 'js', size).hz,
        wasmNode: w.hz / findOp(ops, op, 'node', size).hz,
        wasmIron: iron ? w.hz / iron.hz : null,
        wasmCookieSignature: size === 30 ? w.hz / findOp(ops, op, 'cookie-signature').hz : null,
      });
    }
  }
  const id = (b) => findOp(ops, 'newSessionId', b);
  const w = id('wasm');
  const n = id('native');
  rows.push({
    op: 'newSessionId',
    ...(n ? { nativeNode: n.hz / id('node').hz, nativeWasm: n.hz / w.hz, nativeNanoid: n.hz / id('nanoid').hz } : {}),
    wasmJs: w.hz / id('js').hz,
    wasmNode: w.hz / id('node').hz,
    wasmNanoid: w.hz / id('nanoid').hz,
    wasmRandomUUID: w.hz / id('randomUUID').hz,
    wasmUidSafe: w.hz / id('uid-safe').hz,
  });
  return rows;
}

const row = (rows, id) => rows.find((r) => r.id === id && r.available);
const rps = (rows, id) => row(rows, id)?.reqPerSec ?? NaN;

/** Each target of the issue with the measured figure and whether it is met. */
export function targets(crypto, http, cost) {
  const t = [];
  if (crypto) {
    const ops = crypto.ops;
    const seal = findOp(ops, 'seal', 'wasm', 30);
    const open = findOp(ops, 'open', 'wasm', 30);
    const r = (op, b) => findOp(ops, op, 'wasm', 30).hz / findOp(ops, op, b, 30).hz;
    t.push({ target: 'wasm seal, 30 B cookie: about 1 µs', measured: ns(seal.meanNs), met: seal.meanNs <= 1200 });
    t.push({ target: 'wasm open, 30 B cookie: about 1 µs', measured: ns(open.meanNs), met: open.meanNs <= 1200 });
    t.push({ target: 'wasm seal ≥ 7× node', measured: x(r('seal', 'node')), met: r('seal', 'node') >= 7 });
    t.push({ target: 'wasm open ≥ 7× node', measured: x(r('open', 'node')), met: r('open', 'node') >= 7 });
    t.push({ target: 'wasm seal ≥ 20× js', measured: x(r('seal', 'js')), met: r('seal', 'js') >= 20 });
    t.push({ target: 'wasm open ≥ 20× js', measured: x(r('open', 'js')), met: r('open', 'js') >= 20 });
    const nid = findOp(ops, 'newSessionId', 'wasm').hz / findOp(ops, 'newSessionId', 'nanoid').hz;
    t.push({ target: 'wasm newSessionId ≥ 1× nanoid() (128 vs 126 bits)', measured: x(nid), met: nid >= 1 });
    t.push(...nativeTargets(crypto));
  }
  if (http) {
    const rows = http.rows;
    // Beside each req/s ratio: the same ratio from server CPU per request (inverse), steadier on shared cores.
    const cpu = (id) => row(rows, id)?.serverCpuUsPerRequest ?? NaN;
    const cpuNote = (a, b, f) => (Number.isFinite(cpu(a) / cpu(b)) ? ` (server CPU/req: ${f(cpu(b) / cpu(a))})` : '');
    const mem = rps(rows, 'ws-memory-wasm-returning') / rps(rows, 'bare-http');
    t.push({ target: 'memory provider, returning (wasm) ≥ 85% of bare node:http', measured: pct(mem) + cpuNote('ws-memory-wasm-returning', 'bare-http', pct), met: Number.isFinite(mem) ? mem >= 0.85 : null });
    // The default backend (auto = native where the addon loads), beside the wasm target.
    const memNative = rps(rows, 'ws-memory-native-returning') / rps(rows, 'bare-http');
    t.push({ target: 'memory provider, returning, the default backend (auto = native) vs bare node:http (reported)', measured: pct(memNative) + cpuNote('ws-memory-native-returning', 'bare-http', pct), met: null });
    // The floor: the same server with no session work; what is left over it is the session's own cost.
    const floor = rps(rows, 'floor-http') / rps(rows, 'bare-http');
    t.push({ target: 'node:http floor (library loaded, await, session-sized cookie; no session work) vs bare (reported: the most any await-style session row can reach)', measured: pct(floor) + cpuNote('floor-http', 'bare-http', pct), met: null });
    const overFloor = rps(rows, 'ws-memory-wasm-returning') / rps(rows, 'floor-http');
    t.push({ target: 'memory provider, returning (wasm) vs that floor (reported)', measured: pct(overFloor) + cpuNote('ws-memory-wasm-returning', 'floor-http', pct), met: null });
    const redis = row(rows, 'ws-redis-wasm-returning');
    const rt = redis?.redis?.roundTripsPerRequest ?? NaN;
    t.push({ target: 'Redis, returning (read and change): 1 round trip per request', measured: Number.isFinite(rt) ? `${rt.toFixed(2)} round trips/request` : 'n/a', met: Number.isFinite(rt) ? rt <= 1.01 : null });
    const rtRead = row(rows, 'ws-redis-wasm-read')?.redis?.roundTripsPerRequest ?? NaN;
    t.push({ target: 'Redis, returning (read only): 1 round trip per request', measured: Number.isFinite(rtRead) ? `${rtRead.toFixed(2)} round trips/request` : 'n/a', met: Number.isFinite(rtRead) ? rtRead <= 1.01 : null });
    for (const [id, anon, what] of [['ws-redis-wasm-user-returning', 'ws-redis-wasm-returning', 'read and change'], ['ws-redis-wasm-user-read', 'ws-redis-wasm-read', 'read only'], ['ws-redis-wasm-remember-returning', 'ws-redis-wasm-returning', 'remembered, through resume']]) {
      const rtUser = row(rows, id)?.redis?.roundTripsPerRequest ?? NaN;
      const rtAnon = row(rows, anon)?.redis?.roundTripsPerRequest ?? NaN;
      const both = Number.isFinite(rtUser) && Number.isFinite(rtAnon);
      t.push({ target: `Redis, returning, user-bound session (${what}): no extra round trip over an anonymous one`, measured: Number.isFinite(rtUser) ? `${rtUser.toFixed(2)} vs ${Number.isFinite(rtAnon) ? rtAnon.toFixed(2) : 'n/a'} round trips/request` : 'n/a', met: both ? rtUser <= rtAnon + 0.01 : null });
    }
    const um = rps(rows, 'ws-memory-wasm-user-returning') / rps(rows, 'ws-memory-wasm-returning');
    t.push({ target: 'memory, returning, user-bound vs anonymous (same work per request)', measured: pct(um) + cpuNote('ws-memory-wasm-user-returning', 'ws-memory-wasm-returning', pct), met: null });
    const rm = rps(rows, 'ws-memory-wasm-remember-returning') / rps(rows, 'ws-memory-wasm-returning');
    t.push({ target: 'memory, returning, remembered user through resume vs anonymous (same work per request)', measured: pct(rm) + cpuNote('ws-memory-wasm-remember-returning', 'ws-memory-wasm-returning', pct), met: null });
    const hw = rps(rows, 'ws-redis-wasm-returning') / rps(rows, 'handwritten-redis-returning');
    t.push({ target: 'Redis, returning ≥ 1.2× hand-written node:crypto + ioredis GET/SET', measured: x(hw) + cpuNote('ws-redis-wasm-returning', 'handwritten-redis-returning', x), met: Number.isFinite(hw) ? hw >= 1.2 : null });
    // The client-side cache (cache: { maxBytes }): commands counted at the server (INFO commandstats, commands inside scripts included).
    const cmdsOf = (id) => row(rows, id)?.redis?.commandsPerRequestTotal ?? NaN;
    const cachedCmds = cmdsOf('ws-redis-wasm-cache-read');
    t.push({ target: 'Redis + client-side cache, returning read-only: 0 commands per request', measured: Number.isFinite(cachedCmds) ? `${cachedCmds.toFixed(3)} commands/request (without the cache ${cmdsOf('ws-redis-wasm-read').toFixed(2)}, hand-written ${cmdsOf('handwritten-redis-read').toFixed(2)})` : 'n/a', met: Number.isFinite(cachedCmds) ? cachedCmds <= 0.01 : null });
    const cm = rps(rows, 'ws-redis-wasm-cache-read') / rps(rows, 'ws-memory-wasm-read');
    t.push({ target: 'Redis + client-side cache, returning read-only ≥ 0.9× the memory provider (read-only)', measured: x(cm) + cpuNote('ws-redis-wasm-cache-read', 'ws-memory-wasm-read', x), met: Number.isFinite(cm) ? cm >= 0.9 : null });
    const ch = rps(rows, 'ws-redis-wasm-cache-read') / rps(rows, 'handwritten-redis-read');
    t.push({ target: 'Redis + client-side cache, returning read-only ≥ 2× hand-written node:crypto + ioredis GET', measured: x(ch) + cpuNote('ws-redis-wasm-cache-read', 'handwritten-redis-read', x), met: Number.isFinite(ch) ? ch >= 2 : null });
    const cn = rps(rows, 'ws-redis-wasm-cache-read') / rps(rows, 'ws-redis-wasm-read');
    t.push({ target: 'Redis read-only, with the client-side cache vs without (reported)', measured: x(cn) + cpuNote('ws-redis-wasm-cache-read', 'ws-redis-wasm-read', x), met: null });
    const cw = rps(rows, 'ws-redis-wasm-cache-returning') / rps(rows, 'handwritten-redis-returning');
    t.push({ target: 'Redis + client-side cache, returning read and change ≥ 1.2× hand-written GET/SET', measured: x(cw) + ` (${cmdsOf('ws-redis-wasm-cache-returning').toFixed(2)} commands/request)` + cpuNote('ws-redis-wasm-cache-returning', 'handwritten-redis-returning', x), met: Number.isFinite(cw) ? cw >= 1.2 : null });
    const cr = rps(rows, 'ws-redis-wasm-returning') / rps(rows, 'express-connect-redis-returning');
    t.push({ target: 'Redis, returning ≥ 2.5× express-session + connect-redis', measured: x(cr) + cpuNote('ws-redis-wasm-returning', 'express-connect-redis-returning', x), met: Number.isFinite(cr) ? cr >= 2.5 : null });
    const es = rps(rows, 'express-compat-returning') / rps(rows, 'express-session-returning');
    t.push({ target: 'express + wasm-session/express-session (MemoryStore), returning ≥ 4× express + express-session', measured: x(es) + cpuNote('express-compat-returning', 'express-session-returning', x), met: Number.isFinite(es) ? es >= 4 : null });
    const ess = rps(rows, 'express-compat-signed-returning') / rps(rows, 'express-session-returning');
    t.push({ target: "express + wasm-session/express-session, cookieFormat 'signed' (MemoryStore), returning, vs express + express-session (reported; the same cookie)", measured: x(ess) + cpuNote('express-compat-signed-returning', 'express-session-returning', x), met: Number.isFinite(ess) ? ess > 1 : null });
    const esr = rps(rows, 'express-compat-connect-redis-returning') / rps(rows, 'express-connect-redis-returning');
    t.push({ target: 'wasm-session/express-session + connect-redis, returning, vs express-session + connect-redis (reported; same store, same round trips)', measured: x(esr) + cpuNote('express-compat-connect-redis-returning', 'express-connect-redis-returning', x), met: Number.isFinite(esr) ? esr > 1 : null });
    const pgc = rps(rows, 'ws-pg-wasm-returning') / rps(rows, 'express-connect-pg-returning');
    t.push({ target: 'PostgreSQL, returning (read and change) ≥ 2× express-session + connect-pg-simple', measured: x(pgc) + cpuNote('ws-pg-wasm-returning', 'express-connect-pg-returning', x), met: Number.isFinite(pgc) ? pgc >= 2 : null });
    const pgr = rps(rows, 'ws-pg-wasm-read') / rps(rows, 'express-connect-pg-read');
    t.push({ target: 'PostgreSQL, returning (read only) vs express-session + connect-pg-simple (reported)', measured: x(pgr) + cpuNote('ws-pg-wasm-read', 'express-connect-pg-read', x), met: null });
    const slr = rps(rows, 'ws-sqlite-wasm-read') / rps(rows, 'ws-sqlmem-wasm-read');
    t.push({ target: 'SQLite, returning (read only) ≥ 0.5× the memory provider', measured: x(slr) + cpuNote('ws-sqlite-wasm-read', 'ws-sqlmem-wasm-read', x), met: Number.isFinite(slr) ? slr >= 0.5 : null });
    const slc = rps(rows, 'ws-sqlite-wasm-returning') / rps(rows, 'ws-sqlmem-wasm-returning');
    t.push({ target: 'SQLite, returning (read and change) vs the memory provider (reported)', measured: x(slc) + cpuNote('ws-sqlite-wasm-returning', 'ws-sqlmem-wasm-returning', x), met: null });
    // Issue 31: redis-server CPU per request (INFO cpu deltas) against express-session + connect-redis, same Redis, same run.
    const rcpu = (id) => row(rows, id)?.redis?.redisCpuUsPerRequest ?? NaN;
    for (const [id, base, limit, what] of [
      ['ws-redis-wasm-returning', 'express-connect-redis-returning', 1.0, 'read+change'],
      ['ws-redis-wasm-returning-touchafter', 'express-connect-redis-returning', 1.0, 'read+change, touchAfter 60 s'],
      ['ws-redis-wasm-read', 'express-connect-redis-read', 0.5, 'read-only'],
      ['ws-redis-wasm-read-touchafter', 'express-connect-redis-read', 0.5, 'read-only, touchAfter 60 s'],
    ]) {
      const q = rcpu(id) / rcpu(base);
      t.push({ target: `Redis CPU per returning request (${what}) ≤ ${limit.toFixed(1)}× express-session + connect-redis (HTTP rows)`, measured: Number.isFinite(q) ? `${x(q)} (${rcpu(id).toFixed(1)} vs ${rcpu(base).toFixed(1)} µs)` : 'n/a', met: Number.isFinite(q) ? q <= limit : null });
    }
    const fb = rps(rows, 'fastify-wasm-session-returning') / rps(rows, 'fastify-bare');
    t.push({ target: 'Fastify plugin, returning ≥ 0.9× Fastify without sessions', measured: x(fb) + cpuNote('fastify-wasm-session-returning', 'fastify-bare', x), met: Number.isFinite(fb) ? fb >= 0.9 : null });
    const fbNative = rps(rows, 'fastify-wasm-session-native-returning') / rps(rows, 'fastify-bare');
    t.push({ target: 'Fastify plugin, returning, the default backend (auto = native) vs Fastify without sessions (reported)', measured: x(fbNative) + cpuNote('fastify-wasm-session-native-returning', 'fastify-bare', x), met: null });
    const ff = rps(rows, 'floor-fastify') / rps(rows, 'fastify-bare');
    t.push({ target: 'Fastify floor (library loaded, the plugin\'s hooks, session-sized cookie; no session work) vs Fastify without sessions (reported)', measured: x(ff) + cpuNote('floor-fastify', 'fastify-bare', x), met: null });
    const fs = rps(rows, 'fastify-wasm-session-returning') / rps(rows, 'fastify-secure-session-returning');
    t.push({ target: 'Fastify plugin, returning > @fastify/secure-session', measured: x(fs) + cpuNote('fastify-wasm-session-returning', 'fastify-secure-session-returning', x), met: Number.isFinite(fs) ? fs > 1 : null });
  }
  if (cost) t.push(...costTargets(cost));
  return t;
}

/** Issue 31: cost that stays flat as traffic grows (the `cost` section). */
function costTargets(cost) {
  const t = [];
  const c = cost.circulating;
  if (c?.ratio != null) {
    const [few, many] = [c.rows[0], c.rows[c.rows.length - 1]];
    t.push({ target: `in-process returning request (Session + MemoryProvider, ${c.backend}), ${many.circulating.toLocaleString('en-US')} sessions circulating ≤ 1.3× ${few.circulating.toLocaleString('en-US')}`, measured: `${x(c.ratio)} (${many.usPerRequest} vs ${few.usPerRequest} CPU µs)`, met: c.ratio <= 1.3 });
    for (const o of c.others ?? []) {
      if (o.ratio == null) continue;
      const [of, om] = [o.rows[0], o.rows[o.rows.length - 1]];
      t.push({ target: `in-process returning request (Session + MemoryProvider, ${o.backend}: the default backend), ${om.circulating.toLocaleString('en-US')} vs ${of.circulating.toLocaleString('en-US')} circulating (reported; same rounds)`, measured: `${x(o.ratio)} (${om.usPerRequest} vs ${of.usPerRequest} CPU µs)`, met: null });
    }
    for (const [b, r] of Object.entries(c.store?.restRatio ?? {})) {
      t.push({ target: `in-process returning request without the store's own part (request − MemoryProvider alone, ${b}), ${many.circulating.toLocaleString('en-US')} vs ${few.circulating.toLocaleString('en-US')} circulating (reported)`, measured: x(r), met: null });
    }
  }
  for (const r of cost.redis?.rows ?? []) {
    if (r.cpuRatio == null) continue;
    const limit = r.id.startsWith('ws-read') ? 0.5 : 1.0;
    t.push({ target: `Redis CPU per request, ${r.label} ≤ ${limit.toFixed(1)}× express-session + connect-redis (in process)`, measured: `${x(r.cpuRatio)} (${r.redisCpuUsPerRequest} vs ${cost.redis.rows.find((b) => b.id === r.vs).redisCpuUsPerRequest} µs)`, met: r.cpuRatio <= limit });
  }
  // Issue 38, Valkey 9.1: read+change ≤ 1.1×, read-only ≤ 0.5×, the 90/10 mix with the cache ≤ 0.3× express-session's.
  for (const r of cost.valkey?.rows ?? []) {
    if (r.cpuRatio == null || r.id.endsWith('-lua')) continue;
    const limit = r.id.startsWith('ws-read') ? 0.5 : r.id.startsWith('ws-mix') ? 0.3 : 1.1;
    t.push({ target: `Valkey ${cost.valkey.version}: Redis CPU per request, ${r.label} ≤ ${limit.toFixed(1)}× express-session + connect-redis (in process)`, measured: `${x(r.cpuRatio)} (${r.redisCpuUsPerRequest} vs ${cost.valkey.rows.find((b) => b.id === r.vs).redisCpuUsPerRequest} µs)`, met: r.cpuRatio <= limit });
  }
  const du = cost.durable;
  if (du) {
    const [base, dur] = du.rows;
    t.push({ target: 'Redis durable: { replicas: 1 }, returning read+change: req/s and latency beside the default (reported; in process, a master and its replica on loopback)', measured: `${x(dur.rpsRatio)} the req/s (${dur.rps} vs ${base.rps}); p50 ${dur.p50Ms} vs ${base.p50Ms} ms, p99 ${dur.p99Ms} vs ${base.p99Ms} ms`, met: null });
  }
  const inv = cost.invalidation;
  if (inv) {
    t.push({ target: 'Redis client-side cache: invalidation latency, another server\'s save sent → this server\'s copy dropped (reported: the staleness bound)', measured: `p50 ${ms(inv.fromSendMs.p50)} ms, p99 ${ms(inv.fromSendMs.p99)} ms (${inv.samples} writes)`, met: null });
  }
  for (const m of Object.values(cost.memory ?? {})) {
    t.push({ target: `Redis bytes per session, ${m.shape} shape (largest field ${m.largestFieldBytes} B), hash-max-listpack-value ${m.hashMaxListpackValue} ≤ 1.0× connect-redis`, measured: `${x(m.ratio)} (${m.wsBytes} vs ${m.connectRedisBytes} B, ${m.encoding})`, met: m.ratio <= 1.0 });
  }
  return t;
}

/** The `cost` section's tables. */
function costMarkdown(cost, L) {
  L.push('## Cost as traffic grows (issue 31)');
  L.push('');
  const c = cost.circulating;
  if (c) {
    const all = [c, ...(c.others ?? [])];
    L.push(`In process, no HTTP: the returning request (start, read and change a counter, end) through Session + MemoryProvider (${all.map((o) => o.backend).join(', ')}), cookies arriving as fresh strings, requests spread over all circulating sessions; CPU µs/request, median of interleaved rounds.`);
    L.push('');
    L.push('| backend | sessions circulating | CPU µs/request | runs |');
    L.push('|---|---:|---:|---|');
    for (const o of all) for (const r of o.rows) L.push(`| ${o.backend} | ${r.circulating.toLocaleString('en-US')} | ${r.usPerRequest} | ${r.runs.join(', ')} |`);
    L.push('');
    if (c.floor) {
      L.push('The floor, in the same rounds: a plain `Map` of as many one-field records, each request looking its record up by ID, copying its fields out and writing the changed counter back (no library, no crypto, no LRU). Its growth is the machine\'s (CPU caches, TLB).');
      L.push('');
      L.push('| records | CPU µs/request | runs |');
      L.push('|---:|---:|---|');
      for (const r of c.floor.rows) L.push(`| ${r.circulating.toLocaleString('en-US')} | ${r.usPerRequest} | ${r.runs.join(', ')} |`);
      L.push('');
      const [few, many] = [c.rows[0], c.rows[c.rows.length - 1]];
      const [ffew, fmany] = [c.floor.rows[0], c.floor.rows[c.floor.rows.length - 1]];
      if (few && many && ffew && fmany) {
        const grew = all.map((o) => `the session (${o.backend}) +${(o.rows[o.rows.length - 1].usPerRequest - o.rows[0].usPerRequest).toFixed(2)} µs (${x(o.ratio)})`).join(', ');
        L.push(`Growth from ${few.circulating.toLocaleString('en-US')} to ${many.circulating.toLocaleString('en-US')}: ${grew}; the floor +${(fmany.usPerRequest - ffew.usPerRequest).toFixed(2)} µs (${x(c.floor.ratio)}).`);
      }
      L.push('');
    }
    if (c.store?.rows?.length) {
      L.push('The store alone, in the same rounds: the MemoryProvider\'s own part of the request (restore with touch, the counter changed, save), on the same provider and sessions as the first backend\'s rows.');
      L.push('');
      L.push('| sessions | CPU µs/request | runs |');
      L.push('|---:|---:|---|');
      for (const r of c.store.rows) L.push(`| ${r.circulating.toLocaleString('en-US')} | ${r.usPerRequest} | ${r.runs.join(', ')} |`);
      L.push('');
      const rest = Object.entries(c.store.restRatio ?? {});
      if (rest.length) L.push(`The session without its store's part (request − store alone) grows ${rest.map(([b, r]) => `${x(r)} (${b})`).join(', ')}; the store alone ${x(c.store.ratio)}.`);
      L.push('');
    }
  }
  if (cost.tokenCache) {
    L.push(`The verified-token cache alone (${cost.tokenCache.backend}): CPU ns per cookie open, tokens arriving as fresh strings, interleaved rounds.`);
    L.push('');
    L.push('| | ns/open |');
    L.push('|---|---:|');
    for (const r of cost.tokenCache.rows) L.push(`| ${r.label} | ${r.nsPerOpen} |`);
    L.push('');
  }
  const rc = cost.redis;
  if (rc) {
    L.push(`Redis per returning request, in process (the manager's real path with fake req/res; express-session's store calls on connect-redis 9 + node-redis 5), ${rc.settings.concurrency} requests in flight, ${rc.settings.requests} requests × ${rc.settings.rounds} interleaved rounds. Redis CPU = INFO cpu (user+sys) delta per request; command time = INFO commandstats usec of top-level commands (a script's includes its inner calls).`);
    L.push('');
    L.push('| side | Redis CPU µs/req | vs express | command time µs/req | commands/req (incl. inside scripts) |');
    L.push('|---|---:|---:|---:|---|');
    for (const r of rc.rows) L.push(`| ${r.label} | ${r.redisCpuUsPerRequest} | ${r.cpuRatio != null ? x(r.cpuRatio) : ''} | ${r.commandUsecPerRequest} | ${r.commandsPerRequest}: ${Object.entries(r.commands).map(([k, v]) => `${k} ${v}`).join(', ')} |`);
    L.push('');
  }
  const vk = cost.valkey;
  if (vk) {
    L.push(`The same on Valkey ${vk.version} (a save within touchAfter is Lua-free there: MULTI, HSETEX … XX, HGET, EXEC), ioredis and node-redis, ${vk.settings.concurrency} requests in flight, ${vk.settings.requests} requests × ${vk.settings.rounds} interleaved rounds:`);
    L.push('');
    L.push('| side | Redis CPU µs/req | vs express | command time µs/req | commands/req |');
    L.push('|---|---:|---:|---:|---|');
    for (const r of vk.rows) L.push(`| ${r.label} | ${r.redisCpuUsPerRequest} | ${r.cpuRatio != null ? x(r.cpuRatio) : ''} | ${r.commandUsecPerRequest} | ${r.commandsPerRequest}: ${Object.entries(r.commands).map(([k, v]) => `${k} ${v}`).join(', ')} |`);
    L.push('');
  }
  const cc = cost.redisCommands;
  if (cc) {
    L.push(`Where the Redis CPU goes: redis-server CPU per command, each kind sent alone by one ioredis client with auto-pipelining, ${cc.settings.concurrency} in flight, ${cc.settings.commands} commands × ${cc.settings.rounds} interleaved rounds (median). A script costs Lua's fixed cost plus a few µs per \`redis.call\` inside it.`);
    L.push('');
    L.push('| command | Redis CPU µs/command | vs GET | runs |');
    L.push('|---|---:|---:|---|');
    const get = cc.rows.find((r) => r.id === 'get').redisCpuUsPerCommand;
    for (const r of cc.rows) L.push(`| ${r.label} | ${r.redisCpuUsPerCommand} | ${x(Number((r.redisCpuUsPerCommand / get).toFixed(2)))} | ${r.runs.join(', ')} |`);
    L.push('');
    L.push('The cost table\'s rows as sums of these:');
    L.push('');
    L.push('| | RedisProvider µs | express-session µs | ratio |');
    L.push('|---|---:|---:|---:|');
    for (const s of cc.sums) L.push(`| ${s.label} | ${s.ws} | ${s.es} | ${x(s.ratio)} |`);
    L.push('');
  }
  for (const [title, mem] of [['Redis defaults', cost.memory], ['hash-max-listpack-value 256', cost.memoryListpack256]]) {
    if (!mem) continue;
    L.push(`Bytes per session (MEMORY USAGE, key included), ${title}:`);
    L.push('');
    L.push('| shape | largest field | wasm-session | encoding | connect-redis | ratio |');
    L.push('|---|---:|---:|---|---:|---:|');
    for (const m of Object.values(mem)) L.push(`| ${m.shape} | ${m.largestFieldBytes} B | ${m.wsBytes} B | ${m.encoding} | ${m.connectRedisBytes} B | ${x(m.ratio)} |`);
    L.push('');
  }
  if (cost.listpackCost) {
    const [a, b] = cost.listpackCost.rows;
    L.push(`The CPU cost of the raised setting (cart shape, read+change, touchAfter 60): Redis CPU ${b.redisCpuUsPerRequest} µs/request as a listpack vs ${a.redisCpuUsPerRequest} as a hashtable (${x(b.cpuRatio)}).`);
    L.push('');
  }
  const inv = cost.invalidation;
  if (inv) {
    L.push(`The client-side cache's staleness bound (issue 25): two RedisProviders with their own connections on one redis-server (two app servers); A holds a session cached, B saves a change to it; ms until A's copy is dropped, over ${inv.samples} writes. Measured from B's reply it can be negative: the invalidation can reach A before B has its reply.`);
    L.push('');
    L.push('| from | p50 | p90 | p99 | max |');
    L.push('|---|---:|---:|---:|---:|');
    for (const [label, s] of [["B sends the save", inv.fromSendMs], ["B gets the save's reply", inv.fromReplyMs]]) L.push(`| ${label} | ${ms(s.p50)} | ${ms(s.p90)} | ${ms(s.p99)} | ${ms(s.max)} |`);
    L.push('');
  }
}

/**
 * Issue 10's targets for the native backend, from the interleaved rounds
 * (same process, backends taking turns), and whether `auto`'s choice is the
 * fastest backend at every measured size (Benchmark.js series).
 */
function nativeTargets(crypto) {
  const rows = crypto.interleaved?.rows;
  if (!rows || !rows.some((r) => r.backend === 'native')) {
    return [{ target: 'native backend measured', measured: 'native addon not built (npm run build:native)', met: null }];
  }
  const at = (op, size, b) => rows.find((r) => r.op === op && r.size === size && r.backend === b).ns;
  const ratio = (op, size, b) => at(op, size, b) / at(op, size, 'native');
  const note = `interleaved, median of ${crypto.interleaved.rounds} rounds`;
  const t = [];
  for (const op of ['seal', 'open']) {
    t.push({ target: `native ${op}, 30 B ≥ 8× node:crypto (${note})`, measured: `${x(ratio(op, 30, 'node'))} (${ns(at(op, 30, 'native'))} vs ${ns(at(op, 30, 'node'))})`, met: ratio(op, 30, 'node') >= 8 });
    t.push({ target: `native ${op}, 30 B ≥ 3× wasm`, measured: `${x(ratio(op, 30, 'wasm'))} (${ns(at(op, 30, 'native'))} vs ${ns(at(op, 30, 'wasm'))})`, met: ratio(op, 30, 'wasm') >= 3 });
  }
  t.push({ target: 'native seal, 2 KiB ≥ 3× node:crypto', measured: `${x(ratio('seal', 2048, 'node'))} (${ns(at('seal', 2048, 'native'))} vs ${ns(at('seal', 2048, 'node'))})`, met: ratio('seal', 2048, 'node') >= 3 });
  // auto's pick against the fastest backend per size and op (Benchmark.js means).
  const misses = [];
  const sizes = [...new Set(crypto.scaling.map((r) => r.size))];
  for (const size of sizes) {
    for (const op of ['seal', 'open']) {
      const cands = crypto.scaling.filter((r) => r.op === op && r.size === size);
      const best = cands.reduce((p, q) => (q.hz > p.hz ? q : p));
      if (best.backend !== crypto.auto) misses.push(`${op} ${size} B: ${best.backend}`);
    }
  }
  t.push({ target: `auto (= ${crypto.auto}) is the fastest backend at every size ${sizes.join('/')} B, seal and open`, measured: misses.length ? `faster elsewhere: ${misses.join('; ')}` : `${crypto.auto} fastest everywhere`, met: misses.length === 0 });
  return t;
}

/** The whole report as Markdown. */
export function markdown(res) {
  const L = [];
  const m = res.machine;
  L.push(`# wasm-session benchmark — ${res.quick ? 'quick (smoke) run: figures are rough' : 'full run'}`);
  L.push('');
  L.push(`${res.date} · ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB · ${m.os} · Node ${res.env.node} (V8 ${res.env.v8}, OpenSSL ${res.env.openssl})${res.redisVersion ? ` · redis-server ${res.redisVersion}` : ''}${res.env.git ? ` · commit ${res.env.git.commit.slice(0, 10)}${res.env.git.dirty ? ' (with uncommitted changes)' : ''}` : ''}`);
  L.push('');
  L.push(`Reproduce: \`npm install && npm run build && npm run bench\` (\`-- --quick\` for a smoke run). Load average at start: ${m.loadAverageAtStart.join(', ')}.`);
  if (res.http) L.push(`HTTP: autocannon in the benchmark process and each server in its own child process, on the same ${m.cores} cores (client and server compete for CPU; the Redis rows add redis-server), loopback, ${res.settings.connections} connections, ${res.settings.duration} s per run, ${res.settings.rounds} interleaved round(s), median reported.`);
  L.push('');
  if (res.targets?.length) {
    L.push('## Targets');
    L.push('');
    L.push('| target | measured | met |');
    L.push('|---|---:|:---:|');
    for (const t of res.targets) L.push(`| ${t.target} | ${t.measured} | ${t.met === null ? 'n/a' : t.met ? 'yes' : '**no**'} |`);
    L.push('');
  }
  if (res.crypto) {
    L.push('## Crypto: seal, open, session IDs');
    L.push('');
    L.push('| operation | implementation | ops/s | mean | ±rme |');
    L.push('|---|---|---:|---:|---:|');
    for (const r of res.crypto.ops) {
      const name = r.op === 'newSessionId' ? 'session ID' : `${r.op} ${r.size} B`;
      L.push(`| ${name} | ${r.backend} | ${int(r.hz)} | ${ns(r.meanNs)} | ${r.rme.toFixed(1)}% |`);
    }
    L.push('');
    if (res.crypto.interleaved?.rows.some((r) => r.backend === 'native')) {
      const iv = res.crypto.interleaved;
      const bs = [...new Set(iv.rows.map((r) => r.backend))];
      L.push(`Interleaved rounds (the targets' figures): ${iv.rounds} rounds, each backend in turn doing ${Object.entries(iv.iterations).map(([s, n]) => `${n.toLocaleString('en-US')} calls at ${s} B`).join(', ')}; median ns per call.`);
      L.push('');
      L.push(`| operation | ${bs.join(' | ')} | native/node | native/wasm | native/js |`);
      L.push(`|---|${bs.map(() => '---:').join('|')}|---:|---:|---:|`);
      for (const size of [...new Set(iv.rows.map((r) => r.size))]) {
        for (const op of ['seal', 'open']) {
          const at = (b) => iv.rows.find((r) => r.op === op && r.size === size && r.backend === b)?.ns;
          L.push(`| ${op} ${size} B | ${bs.map((b) => ns(at(b))).join(' | ')} | ${x(at('node') / at('native'))} | ${x(at('wasm') / at('native'))} | ${x(at('js') / at('native'))} |`);
        }
      }
      L.push('');
      L.push('Ratios against native (Benchmark.js ops/s; above 1× = native faster):');
      L.push('');
      L.push('| operation | native/node | native/wasm | native/js |');
      L.push('|---|---:|---:|---:|');
      for (const r of res.cryptoRatios) {
        if (r.nativeNode !== undefined) L.push(`| ${r.op} | ${x(r.nativeNode)} | ${x(r.nativeWasm)} | ${r.nativeJs !== undefined ? x(r.nativeJs) : `${x(r.nativeNanoid)} vs nanoid`} |`);
      }
      L.push('');
    }
    L.push('Ratios (ops/s; above 1× = wasm faster). iron-session and cookie-signature: the 30 B rows (cookie-signature signs a 32-character express-session ID).');
    L.push('');
    L.push('| operation | wasm/js | wasm/node | wasm/iron-session | wasm/cookie-signature |');
    L.push('|---|---:|---:|---:|---:|');
    for (const r of res.cryptoRatios) {
      if (r.op === 'newSessionId') continue;
      L.push(`| ${r.op} | ${x(r.wasmJs)} | ${x(r.wasmNode)} | ${r.wasmIron ? x(r.wasmIron) : ''} | ${r.wasmCookieSignature ? x(r.wasmCookieSignature) : ''} |`);
    }
    const n = res.cryptoRatios.find((r) => r.op === 'newSessionId');
    L.push('');
    L.push('| session IDs | wasm/js | wasm/node | wasm/nanoid | wasm/randomUUID | wasm/uid-safe |');
    L.push('|---|---:|---:|---:|---:|---:|');
    L.push(`| newSessionId | ${x(n.wasmJs)} | ${x(n.wasmNode)} | ${x(n.wasmNanoid)} | ${x(n.wasmRandomUUID)} | ${x(n.wasmUidSafe)} |`);
    L.push('');
    L.push('### Seal/open time against value size (mean)');
    L.push('');
    const sizes = [...new Set(res.crypto.scaling.map((r) => r.size))];
    L.push(`| op | backend | ${sizes.map((s) => `${s} B`).join(' | ')} |`);
    L.push(`|---|---|${sizes.map(() => '---:').join('|')}|`);
    for (const op of ['seal', 'open']) {
      for (const b of ['native', 'wasm', 'js', 'node'].filter((q) => res.crypto.scaling.some((r) => r.backend === q))) {
        L.push(`| ${op} | ${b} | ${sizes.map((s) => ns(res.crypto.scaling.find((r) => r.op === op && r.backend === b && r.size === s)?.meanNs)).join(' | ')} |`);
      }
    }
    L.push('');
  }
  if (res.http) {
    L.push('## End-to-end HTTP');
    L.push('');
    L.push(`\`returning\`: every request carries the cookie of a session a first request created; the handler reads a counter and increments it (restore, change, save). \`new\`: no cookie; the handler sets the counter, so each request creates a session and gets a cookie.`);
    L.push('');
    const bare = rps(res.http.rows, 'bare-http');
    L.push('| server | requests | req/s (median) | vs bare node:http | p50 ms | p99 ms | server CPU µs/req (user+sys) | Redis/memcached round trips/req | redis-server CPU µs/req | Redis commands/req (server side) |');
    L.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---|');
    for (const r of res.http.rows) {
      if (!r.available) {
        L.push(`| ${r.label} | ${r.mode} | not available: ${r.reason} | | | | | | | |`);
        continue;
      }
      const flags = [];
      if (r.errors) flags.push(`${r.errors} errors`);
      if (r.non2xx) flags.push(`${r.non2xx} non-2xx`);
      if (r.verified === false) flags.push('session not kept!');
      const cmds = r.redis ? `${r.redis.commandsPerRequestTotal.toFixed(2)}: ${Object.entries(r.redis.commandsPerRequest).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}` : '';
      L.push(`| ${r.label} | ${r.mode} | ${int(r.reqPerSec)}${flags.length ? ` (${flags.join(', ')})` : ''} | ${pct(r.reqPerSec / bare)} | ${r.latencyP50Ms} | ${r.latencyP99Ms} | ${r.serverCpuUsPerRequest.toFixed(1)} | ${(r.redis ?? r.memcached) ? (r.redis ?? r.memcached).roundTripsPerRequest.toFixed(2) : ''} | ${r.redis ? r.redis.redisCpuUsPerRequest.toFixed(1) : ''} | ${cmds} |`);
    }
    L.push('');
    L.push('Server CPU µs/req: the server process\'s `process.cpuUsage()` (user + system, all its threads) over the requests it handled; on a machine where client and server share the cores, this is the steadier measure of what a row costs.');
    L.push('');
    L.push('Redis round trips are counted in the server at its Redis client (ioredis: each top-level command or script call = 1, a pipeline or MULTI/EXEC = 1; node-redis under connect-redis: each awaited `get`/`set`/`expire` = 1). Redis commands come from `INFO commandstats` before and after each run, divided by the requests the server handled; commands run inside a Lua script are counted by Redis in addition to the `evalsha` that ran them.');
    L.push('');
    if (res.http.scaling.length) {
      L.push('### req/s against concurrent connections (returning requests)');
      L.push('');
      const conns = [...new Set(res.http.scaling.map((s) => s.connections))];
      L.push(`| server | ${conns.map((c) => `-c ${c}`).join(' | ')} |`);
      L.push(`|---|${conns.map(() => '---:').join('|')}|`);
      for (const id of [...new Set(res.http.scaling.map((s) => s.id))]) {
        const label = res.http.rows.find((r) => r.id === id)?.label ?? id;
        L.push(`| ${label} | ${conns.map((c) => { const s = res.http.scaling.find((q) => q.id === id && q.connections === c); return s ? `${int(s.reqPerSec)} (p99 ${s.latencyP99Ms} ms)` : ''; }).join(' | ')} |`);
      }
      L.push('');
    }
  }
  if (res.cost) costMarkdown(res.cost, L);
  if (res.notes?.length) {
    L.push('## Notes');
    L.push('');
    for (const n of res.notes) L.push(`- ${n}`);
    L.push('');
  }
  return L.join('\n');
}
