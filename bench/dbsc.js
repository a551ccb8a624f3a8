// What DBSC costs the server (`node bench/dbsc.js [--rounds=N] [--ops=N]`, after `npm run build`).
// In one process, no HTTP: the manager's `start` for a returning request on a MemoryProvider,
// interleaved rounds (A B C, A B C, ...), median ns per call:
//   plain      a Session without DBSC
//   plain+record  the same, its value carrying the bytes a binding adds (storage cost without the check)
//   unbound    a Session with DBSC installed, the session never registered (browsers without DBSC)
//   bound      a registered session, the request carrying its valid bound cookie (the DBSC check passes)
// and per refresh: the server's side of one refresh (proof verified with node:crypto, record written,
// new bound cookie and challenge sealed), ES256 and RS256, median µs; the client's signing is not timed.
import { webcrypto } from 'node:crypto';
import { MemoryProvider, Session } from '../dist/index.js';
import { Dbsc } from '../dist/dbsc/index.js';

const arg = (name, d) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? d);
const ROUNDS = arg('rounds', 15);
const OPS = arg('ops', 20000);
const SECRET = 'bench-dbsc-secret-0123456789-abcdefghijklmn';

class Res {
  constructor() {
    this.headers = new Map();
    this.statusCode = 200;
    this.headersSent = false;
  }
  getHeader(n) {
    return this.headers.get(n.toLowerCase());
  }
  setHeader(n, v) {
    this.headers.set(n.toLowerCase(), v);
  }
  removeHeader(n) {
    this.headers.delete(n.toLowerCase());
  }
  writeHead(s) {
    this.statusCode = s;
    this.headersSent = true;
  }
  end(body) {
    this.body = body;
    if (!this.headersSent) this.writeHead(this.statusCode);
  }
}

const cookiesOf = (res) => [].concat(res.getHeader('set-cookie') ?? []).map((l) => l.split(';')[0]);
const b64 = (x) => Buffer.from(typeof x === 'string' ? x : new Uint8Array(x)).toString('base64url');

async function keyFor(alg) {
  const params = alg === 'ES256' ? { name: 'ECDSA', namedCurve: 'P-256' } : { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
  const pair = await webcrypto.subtle.generateKey(params, true, ['sign', 'verify']);
  const j = await webcrypto.subtle.exportKey('jwk', pair.publicKey);
  const jwk = alg === 'ES256' ? { kty: j.kty, crv: j.crv, x: j.x, y: j.y } : { kty: j.kty, n: j.n, e: j.e };
  const sign = async (jti, withKey) => {
    const input = `${b64(JSON.stringify({ alg, typ: 'dbsc+jwt', ...(withKey ? { jwk } : {}) }))}.${b64(JSON.stringify({ jti }))}`;
    const sig = await webcrypto.subtle.sign(alg === 'ES256' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'RSASSA-PKCS1-v1_5' }, pair.privateKey, new TextEncoder().encode(input));
    return `${input}.${b64(sig)}`;
  };
  return { sign };
}

const challengeOf = (res) => /^"([^"]+)"/.exec(String(res.getHeader('secure-session-challenge')))?.[1];

/** A registered session: its cookie header (session + bound cookie), the agent's key, its id and current challenge. */
async function registered(session, dbsc, alg) {
  const res = new Res();
  await session.login({ headers: {} }, res, 'alice');
  await dbsc.offer({ headers: { cookie: cookiesOf(res).join('; ') } }, res);
  const cookie = cookiesOf(res).join('; ');
  const challenge = /challenge="([^"]+)"/.exec(String(res.getHeader('secure-session-registration')))[1];
  const key = await keyFor(alg);
  const proof = await key.sign(challenge, true);
  const rr = new Res();
  await dbsc.handle({ method: 'POST', url: dbsc.registrationPath, headers: { cookie, 'secure-session-response': `"${proof}"` } }, rr);
  if (rr.statusCode !== 200) throw new Error(`registration failed: ${rr.body}`);
  const id = JSON.parse(rr.body).session_identifier;
  return { cookie: [cookie, ...cookiesOf(rr)].join('; '), key, id, challenge: challengeOf(rr) };
}

function median(a) {
  const s = [...a].sort((x, y) => x - y);
  return s[s.length >> 1];
}

async function main() {
  // A: plain
  const plain = new Session(new MemoryProvider(), { cookieSecret: SECRET });
  const pr = new Res();
  await plain.login({ headers: {} }, pr, 'alice');
  const plainCookie = cookiesOf(pr).join('; ');
  // B: DBSC installed, never registered
  const s2 = new Session(new MemoryProvider(), { cookieSecret: SECRET });
  const d2 = new Dbsc(s2);
  const r2 = new Res();
  await s2.login({ headers: {} }, r2, 'alice');
  const unboundCookie = cookiesOf(r2).join('; ');
  // C: registered, with its bound cookie
  const s3 = new Session(new MemoryProvider(), { cookieSecret: SECRET });
  const d3 = new Dbsc(s3);
  const reg = await registered(s3, d3, 'ES256');

  // A': plain, its value carrying the same bytes as the bound session's (what storing the binding costs, without the check)
  const s4 = new Session(new MemoryProvider(), { cookieSecret: SECRET });
  const r4 = new Res();
  const st4 = await s4.login({ headers: {} }, r4, 'alice');
  const boundStore = await s3.start({ headers: { cookie: reg.cookie } }, { getHeader: () => undefined, setHeader: () => undefined });
  for (const k of boundStore.getValue().keys()) st4.getValue().set(`copy${k}`, boundStore.getValue().get(k));
  await st4.save();
  const dataCookie = cookiesOf(r4).join('; ');

  const rows = {
    plain: { session: plain, cookie: plainCookie, check: (st) => st.userId() === 'alice' && st.reason === null },
    'plain+record': { session: s4, cookie: dataCookie, check: (st) => st.userId() === 'alice' && st.getValue().keys().length === 2 },
    unbound: { session: s2, cookie: unboundCookie, check: (st) => st.userId() === 'alice' && !d2.isBound(st) },
    bound: { session: s3, cookie: reg.cookie, check: (st) => st.userId() === 'alice' && st.reason === null && d3.isBound(st) },
  };
  const results = Object.fromEntries(Object.keys(rows).map((k) => [k, []]));
  const res = { getHeader: () => undefined, setHeader: () => undefined };
  for (let round = -1; round < ROUNDS; round++) {
    for (const [name, row] of Object.entries(rows)) {
      const req = () => ({ headers: { cookie: row.cookie } });
      const first = await row.session.start(req(), res);
      if (!row.check(first)) throw new Error(`${name}: the session did not restore as expected (reason ${first.reason})`);
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < OPS; i++) await row.session.start(req(), res);
      const ns = Number(process.hrtime.bigint() - t0) / OPS;
      if (round >= 0) results[name].push(ns);
    }
  }
  const base = median(results.plain);
  console.log(`start() of a returning request, MemoryProvider, backend ${plain.backend}, ${ROUNDS} interleaved rounds × ${OPS} (median):`);
  for (const [name, list] of Object.entries(results)) {
    const m = median(list);
    console.log(`  ${name.padEnd(13)} ${(m / 1000).toFixed(2)} µs   ×${(m / base).toFixed(2)} of plain   (+${((m - base) / 1000).toFixed(2)} µs)`);
  }

  for (const alg of ['ES256', 'RS256']) {
    const s = new Session(new MemoryProvider(), { cookieSecret: SECRET });
    const d = new Dbsc(s);
    const r = await registered(s, d, alg);
    let { cookie, challenge } = r;
    const times = [];
    const N = Math.max(200, Math.floor(OPS / 50));
    for (let i = 0; i < N; i++) {
      const proof = await r.key.sign(challenge, false); // the browser's work: not timed
      const out = new Res();
      const req = { method: 'POST', url: d.refreshPath, headers: { cookie, 'sec-secure-session-id': `"${r.id}"`, 'secure-session-response': `"${proof}"` } };
      const t0 = process.hrtime.bigint();
      await d.handle(req, out);
      times.push(Number(process.hrtime.bigint() - t0));
      if (out.statusCode !== 200) throw new Error(`refresh ${i} answered ${out.statusCode}: ${out.body}`);
      challenge = challengeOf(out);
      const bound = cookiesOf(out).find((c) => c.startsWith(`${d.cookieName}=`));
      cookie = cookie.replace(new RegExp(`${d.cookieName}=[^;]*`), bound);
    }
    console.log(`refresh (server side, ${alg}, ${N} in a row, median): ${(median(times) / 1000).toFixed(1)} µs`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
