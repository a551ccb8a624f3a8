// Returning-request cost in process (Session + MemoryProvider) against how
// many sessions circulate: see tools/circulating.js.
import { MemoryProvider, Session } from '../../dist/index.js';
import { createCodec } from '../../dist/crypto/index.js';
import { TokenCache } from '../../dist/crypto/token-cache.js';
import { FakeRes } from './fake-res.js';

const SECRET = 'benchmark secret, at least 32 characters long';


async function handle(session, cookie) {
  const req = { headers: cookie ? { cookie } : {} };
  const res = new FakeRes();
  const finished = new Promise((r) => (res.done = r));
  const store = await session.start(req, res);
  // A cookie that did not restore would measure a new session instead: the run fails.
  if (cookie && store.isNew()) throw new Error('a returning request got a new session');
  const v = store.getValue();
  v.set('n', v.int('n') + 1);
  res.end('x');
  await finished;
  res.sid = store.sessionID();
  return res;
}

/** One Session + MemoryProvider (bound raised past the circulating count) holding `count` sessions; their cookies. */
async function population(backend, count) {
  const session = new Session(new MemoryProvider({ max: count + 1000 }), { cookieSecret: SECRET, backend });
  const cookies = new Array(count);
  const sids = new Array(count);
  for (let i = 0; i < count; i++) {
    const res = await handle(session, null);
    sids[i] = res.sid;
    // Kept as bytes, decoded per request as node:http's parser does: the header
    // string is new and warm on every request, not a long-lived cold string.
    cookies[i] = Buffer.from(String(res.getHeader('set-cookie')).split(';')[0], 'latin1');
  }
  return { session, cookies, sids };
}

/** Shuffles `xs` in place (fixed seed, so every run walks the same order); returns it. */
function shuffled(xs, seed) {
  for (let i = xs.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const j = seed % (i + 1);
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}
const TOUCH = { touch: true };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Interleaved rounds: each round sends `requests` returning requests per side,
 * walking that side's cookies in a shuffled order (every cookie comes back, in
 * no order a cache could favour). Returns µs/request medians and the ratio.
 */
export async function runCirculating({ backend = 'wasm', also = [], sizes = (process.env.SIZES ?? '1000,100000').split(',').map(Number), rounds = Number(process.env.ROUNDS ?? 7), requests = Number(process.env.REQUESTS ?? 100_000), log = () => {} } = {}) {
  // `also`: more backends (e.g. 'native', the default `auto` picks), in the same interleaved rounds.
  const sides = [];
  const stores = [];
  for (const b of [backend, ...also]) for (const count of sizes) {
    const { session, cookies, sids } = await population(b, count);
    // Shuffled order (fixed seed): a cookie comes back every `count` requests.
    shuffled(cookies, 12345);
    sides.push({ backend: b, count, session, cookies, at: 0, us: [] });
    // The store alone, on the first backend's provider and sessions: its restore, the counter changed, its save.
    if (b === backend) stores.push({ count, provider: session.provider, sids: shuffled(sids, 777), at: 0, us: [] });
  }
  const run = async (side, n) => {
    // CPU time of this process (user + system), not wall time: the machine is shared.
    const t = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      await handle(side.session, side.cookies[side.at].latin1Slice());
      side.at = side.at + 1 === side.cookies.length ? 0 : side.at + 1;
    }
    const d = process.cpuUsage(t);
    return (d.user + d.system) / n;
  };
  // The floor: the least an in-memory session store does per returning request, with no library:
  // a Map of the same number of records (one field, as here), the record looked up by its ID, its
  // fields copied out, the counter changed and written back. What it gains from 1,000 to 100,000 is
  // the machine's (CPU caches, TLB), which no store escapes.
  const floors = sizes.map((count) => {
    const records = new Map();
    const ids = [];
    for (let i = 0; i < count; i++) {
      const id = Buffer.from(`${i.toString(36).padStart(8, '0')}-floor-record-id`, 'latin1');
      ids.push(id);
      records.set(id.latin1Slice(), new Map([['n', '1']]));
    }
    shuffled(ids, 54321);
    return { count, records, ids, at: 0, us: [] };
  });
  const runFloor = async (f, n) => {
    const t = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      const record = f.records.get(f.ids[f.at].latin1Slice());
      const fields = new Map(record);
      fields.set('n', String(Number(fields.get('n')) + 1));
      for (const [k, v] of fields) record.set(k, v);
      f.at = f.at + 1 === f.ids.length ? 0 : f.at + 1;
      if ((i & 1023) === 0) await null;
    }
    const d = process.cpuUsage(t);
    return (d.user + d.system) / n;
  };
  // What the MemoryProvider itself costs per returning request (the part of the growth that is the store's own).
  const runStore = async (st, n) => {
    const t = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      const sid = st.sids[st.at];
      const v = st.provider.restoreSync(sid, TOUCH).getValue();
      v.set('n', v.int('n') + 1);
      st.provider.save(sid, v, false, null);
      v.markSaved();
      st.at = st.at + 1 === st.sids.length ? 0 : st.at + 1;
      if ((i & 1023) === 0) await null;
    }
    const d = process.cpuUsage(t);
    return (d.user + d.system) / n;
  };
  for (const side of sides) await run(side, Math.max(requests, side.count)); // warm-up: every cookie once
  for (const f of floors) await runFloor(f, Math.max(requests, f.count));
  for (const st of stores) await runStore(st, Math.max(requests, st.count));
  for (let r = 0; r < rounds; r++) {
    for (const side of sides) side.us.push(await run(side, requests));
    for (const f of floors) f.us.push(await runFloor(f, requests));
    for (const st of stores) st.us.push(await runStore(st, requests));
  }
  const rowsOf = (list) => list.map((s) => ({ circulating: s.count, usPerRequest: Number(median(s.us).toFixed(2)), runs: s.us.map((u) => Number(u.toFixed(2))) }));
  const ratioOf = (rows) => (rows.length > 1 ? Number((rows[rows.length - 1].usPerRequest / rows[0].usPerRequest).toFixed(2)) : null);
  const ofBackend = (b) => {
    const rows = rowsOf(sides.filter((s) => s.backend === b));
    for (const row of rows) log(`  ${b} returning, ${String(row.circulating).padStart(7)} sessions circulating: ${row.usPerRequest} µs/request (runs ${row.runs.join(' ')})`);
    const ratio = ratioOf(rows);
    if (ratio !== null) log(`  ${b} ratio ${rows[rows.length - 1].circulating} / ${rows[0].circulating}: ${ratio}×`);
    return { backend: b, rows, ratio };
  };
  const { rows, ratio } = ofBackend(backend);
  const others = also.map(ofBackend);
  const floorRows = rowsOf(floors);
  for (const row of floorRows) log(`  floor (a plain Map store), ${String(row.circulating).padStart(7)} records: ${row.usPerRequest} µs/request (runs ${row.runs.join(' ')})`);
  const floor = { rows: floorRows, ratio: ratioOf(floorRows) };
  if (floor.ratio !== null) log(`  floor ratio: ${floor.ratio}×, +${(floorRows[floorRows.length - 1].usPerRequest - floorRows[0].usPerRequest).toFixed(2)} µs`);
  const storeRows = rowsOf(stores);
  for (const row of storeRows) log(`  the store alone (MemoryProvider restore + save), ${String(row.circulating).padStart(7)} sessions: ${row.usPerRequest} µs/request (runs ${row.runs.join(' ')})`);
  // The session's growth without the store's: (session − store) at the largest size over the same at the smallest.
  const store = { rows: storeRows, ratio: ratioOf(storeRows) };
  for (const o of [{ backend, rows }, ...others]) {
    const [few, many] = [o.rows[0], o.rows[o.rows.length - 1]];
    const [sf, sm] = [storeRows[0], storeRows[storeRows.length - 1]];
    if (!few || few === many) continue;
    const rest = Number(((many.usPerRequest - sm.usPerRequest) / (few.usPerRequest - sf.usPerRequest)).toFixed(2));
    (store.restRatio ??= {})[o.backend] = rest;
    log(`  ${o.backend}: the session without its store grows ${rest}× (${(few.usPerRequest - sf.usPerRequest).toFixed(2)} → ${(many.usPerRequest - sm.usPerRequest).toFixed(2)} µs); the store +${(sm.usPerRequest - sf.usPerRequest).toFixed(2)} µs`);
  }
  return { backend, rows, ratio, floor, store, others };
}

/**
 * The verified-token cache alone: CPU ns per open of a session cookie through
 * the cache, with `sizes` tokens circulating (shuffled, every token back once
 * per cycle), beside the codec with no cache at the largest size. Interleaved
 * rounds, medians. A miss must cost what no cache costs.
 */
export async function runTokenCache({ backend = 'wasm', sizes = [1000, 100_000], rounds = 5, opens = 200_000, log = () => {} } = {}) {
  const codec = createCodec({ secrets: SECRET, name: 'sid', backend });
  const tokens = (n) => Array.from({ length: n }, () => Buffer.from(codec.seal(codec.newSessionId(), Date.now()), 'latin1'));
  const sides = sizes.map((n) => ({ label: `cache, ${n.toLocaleString('en-US')} circulating`, toks: tokens(n), open: ((c) => (t) => c.openText(t))(new TokenCache(codec)), ns: [] }));
  sides.push({ label: `no cache, ${sizes[sizes.length - 1].toLocaleString('en-US')} circulating`, toks: sides[sides.length - 1].toks, open: (t) => codec.openText(t), ns: [] });
  const run = (side, n) => {
    let at = 0;
    const t = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      if (!side.open(side.toks[at].latin1Slice()).ok) throw new Error('a token did not open');
      at = at + 1 === side.toks.length ? 0 : at + 1;
    }
    const d = process.cpuUsage(t);
    return ((d.user + d.system) * 1000) / n;
  };
  for (const side of sides) run(side, Math.max(opens, side.toks.length * 2));
  for (let r = 0; r < rounds; r++) for (const side of sides) side.ns.push(run(side, opens));
  const rows = sides.map((s) => ({ label: s.label, nsPerOpen: Math.round(median(s.ns)) }));
  for (const row of rows) log(`  token open, ${backend}, ${row.label.padEnd(28)} ${row.nsPerOpen} ns`);
  codec.dispose();
  return { backend, rows };
}
