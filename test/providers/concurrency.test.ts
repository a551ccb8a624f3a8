/**
 * Issue 30: login and refresh are a move exactly one request wins, on
 * memory, Redis, Redis Cluster and memcached; memcached saves merge per key
 * with check-and-set. Over HTTP with cookie jars, on real servers.
 *
 * The app waits a little between `start` and `login`/`refresh` (as a password
 * check would), so the concurrent requests all restore the old session before
 * any of them moves it: the race is real on every round.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Cluster, Redis } from 'ioredis';
import type memjs from 'memjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SessionError } from '../../src/errors.js';
import { Session } from '../../src/manager/session.js';
import { Value } from '../../src/manager/value.js';
import { MemcacheProvider, type MemjsClient } from '../../src/providers/memcache.js';
import { MemoryProvider } from '../../src/providers/memory.js';
import type { Provider } from '../../src/providers/provider.js';
import { RedisProvider } from '../../src/providers/redis.js';
import { Client, sleep } from '../helpers/http.js';
import { memcachedGet, memcachedSet, rawCommand, startMemcached, startRedis, type ServerProcess } from '../helpers/servers.js';
import { clusterPerFile, memjsClient, redisClient } from './fixtures.js';

const SECRET = 'concurrency-test-secret-0123456789abcdefghijkl';
const USER = 'user-1';

interface Body {
  sid: string;
  isNew: boolean;
  reason: string | null;
  data: Record<string, unknown>;
  userId: string | null;
  error?: string;
}

function app(session: Session) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://x');
    const q = url.searchParams;
    res.setHeader('content-type', 'application/json');
    try {
      let store = await session.start(req, res);
      if (url.pathname === '/set') for (const [k, v] of q) if (k !== 'wait') store.getValue().set(k, v);
      // A password check's worth of waiting: every concurrent request has restored before any moves.
      if (q.has('wait')) await sleep(Number(q.get('wait')));
      // Or held here (restored) until the test opens the gate.
      const gate = q.get('gate');
      if (gate !== null) await gates.get(gate)?.pass();
      if (url.pathname === '/login') store = await session.login(req, res, q.get('user') ?? USER);
      if (url.pathname === '/refresh') store = await session.refresh(req, res);
      if (url.pathname === '/save') {
        store.getValue().set(q.get('k') ?? 'k', q.get('v') ?? 'v');
        try {
          await store.save();
        } catch (err) {
          // Gone meanwhile (moved by a login): the change is refused, the request is not a failure.
          if (err instanceof SessionError && err.code === 'ERR_SESSION_NOT_FOUND') {
            res.end(JSON.stringify({ sid: store.sessionID(), saved: false, error: err.code }));
            return;
          }
          res.statusCode = 503;
          res.end(JSON.stringify({ error: err instanceof SessionError ? err.code : String(err) }));
          return;
        }
      }
      res.end(JSON.stringify({ sid: store.sessionID(), isNew: store.isNew(), reason: store.reason, data: store.getValue().toJSON(), userId: store.userId() }));
    } catch (err) {
      res.statusCode = 500;
      res.end(JSON.stringify({ error: err instanceof SessionError ? err.code : String(err) }));
    }
  };
}

/** A point the test holds a request (or a store command) at: `arrived` once one is there, `open()` lets it on. */
class Gate {
  #arrive!: () => void;
  #open!: () => void;
  readonly arrived = new Promise<void>((r) => (this.#arrive = r));
  readonly #opened = new Promise<void>((r) => (this.#open = r));
  pass(): Promise<void> {
    this.#arrive();
    return this.#opened;
  }
  open(): void {
    this.#open();
  }
}
/** A gate that opens once `n` requests have arrived at it (all have restored the session by then). */
class Barrier extends Gate {
  #left: number;
  constructor(n: number) {
    super();
    this.#left = n;
  }
  override pass(): Promise<void> {
    const passing = super.pass();
    if (--this.#left === 0) this.open();
    return passing;
  }
}
const gates = new Map<string, Gate>();

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length) await (closers.pop() as () => Promise<void>)();
});

async function serve(session: Session): Promise<string> {
  const server = createServer((req, res) => void app(session)(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const body = (r: { body: string }): Body => JSON.parse(r.body) as Body;

// Servers.
const cluster = clusterPerFile();
let redis: ServerProcess;
let memcached: ServerProcess;
let redisCli: Redis;
let memcache: memjs.Client;
let memcache2: memjs.Client;
beforeAll(async () => {
  [redis, memcached] = await Promise.all([startRedis(), startMemcached()]);
  redisCli = redisClient(redis.port);
  memcache = memjsClient([memcached.port]);
  // A second client: a second app process, as far as check-and-set can tell.
  memcache2 = memjsClient([memcached.port]);
}, 60_000);
afterAll(async () => {
  redisCli?.disconnect();
  memcache?.close();
  memcache2?.close();
  await Promise.all([redis?.dispose(), memcached?.dispose()]);
});

let round = 0;

interface Backend {
  name: string;
  /**
   * A provider on a fresh key prefix, and what the store holds under that
   * prefix. `claim`: when set, the provider's claim of an old ID (the step
   * that decides a login) passes this gate first.
   */
  make(claim?: Gate): { provider: Provider; copies(key: string): Promise<number> };
}

/** An ioredis client (or Cluster) whose claim script waits at `gate`. */
function heldClaims<C extends Redis | Cluster>(client: C, gate: Gate | undefined): C {
  if (gate === undefined) return client;
  return new Proxy(client, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target) as unknown;
      if (prop === 'wasmSessionClaim1' && typeof v === 'function') {
        return (...args: unknown[]) => gate.pass().then(() => (v as (...a: unknown[]) => Promise<unknown>).apply(target, args));
      }
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** memjs whose login claim (a check-and-set REPLACE by a claim record) waits at `gate`. */
function heldMemjs(client: memjs.Client, gate: Gate | undefined): MemjsClient {
  if (gate === undefined) return client as unknown as MemjsClient;
  return {
    get seq() {
      return client.seq;
    },
    incrSeq: () => client.incrSeq(),
    perform: (key, request, seq, callback) => {
      if (request[1] === 0x03 && request.includes('"a":"!')) {
        void gate.pass().then(() => client.perform(key, request, seq, callback as never));
        return;
      }
      client.perform(key, request, seq, callback as never);
    },
  };
}

/** Redis keys of one prefix that are live sessions (not aliases, indexes or tombstones) holding `key`. */
async function redisCopies(clients: Redis[], prefix: string, key: string): Promise<number> {
  let n = 0;
  for (const c of clients) {
    for (const k of await c.keys(`${prefix}*`)) {
      if (k.startsWith(`${prefix}user:`) || k.startsWith(`${prefix}revoked:`)) continue;
      const h = await c.hgetall(k);
      if (h.__wsa === undefined && h[key] !== undefined) n++;
    }
  }
  return n;
}

async function memcachedCopies(prefix: string, key: string): Promise<number> {
  const dump = await rawCommand(memcached.port, 'lru_crawler metadump hash\r\n', (a) => a.endsWith('END\r\n'), 5000);
  let n = 0;
  for (const m of dump.matchAll(/^key=(\S+)/gm)) {
    const k = decodeURIComponent(m[1] as string);
    if (!k.startsWith(prefix) || k.startsWith(`${prefix}user:`) || k.startsWith(`${prefix}revoked:`)) continue;
    const data = await memcachedGet(memcached.port, k);
    if (data === undefined) continue;
    const nl = data.startsWith('#ws1 ') ? data.indexOf('\n') : -1;
    if (nl >= 0 && /"a":/.test(data.slice(0, nl))) continue; // an alias or claim
    const record = JSON.parse(data.slice(nl + 1)) as Record<string, unknown>;
    if (record[key] !== undefined) n++;
  }
  return n;
}

const backends: Backend[] = [
  {
    name: 'memory',
    make: () => ({ provider: new MemoryProvider(), copies: async () => Number.NaN }),
  },
  {
    name: 'Redis',
    make: (claim) => {
      const prefix = `c${++round}:`;
      return { provider: new RedisProvider(heldClaims(redisCli, claim), { prefix }), copies: (key) => redisCopies([redisCli], prefix, key) };
    },
  },
  {
    name: 'Redis Cluster',
    make: (claim) => {
      const prefix = `c${++round}:`;
      return { provider: new RedisProvider(heldClaims(cluster.client, claim), { prefix }), copies: (key) => redisCopies(cluster.client.nodes('master'), prefix, key) };
    },
  },
  {
    name: 'memcached',
    make: (claim) => {
      const prefix = `c${++round}:`;
      return { provider: new MemcacheProvider(heldMemjs(memcache, claim), { prefix }), copies: (key) => memcachedCopies(prefix, key) };
    },
  },
];

for (const b of backends) {
  describe(`login and refresh as one move on ${b.name}`, () => {
    async function setup(claimOrConfig?: Gate | { renewGrace: number }): Promise<{ session: Session; url: string; copies(key: string): Promise<number>; errors: string[] }> {
      const claim = claimOrConfig instanceof Gate ? claimOrConfig : undefined;
      const { provider, copies } = b.make(claim);
      const session = new Session(provider, { cookieSecret: SECRET, ...(claimOrConfig instanceof Gate ? {} : claimOrConfig) });
      const errors: string[] = [];
      session.on('error', (e) => errors.push(e.error instanceof SessionError ? e.error.code : String(e.error)));
      closers.push(async () => session.dispose());
      return { session, url: await serve(session), copies, errors };
    }

    /** An anonymous session with a cart; its cookie header. */
    async function anonymous(url: string): Promise<{ client: Client; sid: string; cookie: string }> {
      const client = new Client(url);
      const created = body(await client.get('/set?cart=7'));
      return { client, sid: created.sid, cookie: (await client.jar.getCookieString(url)) as string };
    }

    async function expectDead(url: string, cookie: string): Promise<void> {
      const r = body(await new Client(url).get('/state', { headers: { cookie } }));
      expect(r.isNew).toBe(true);
      expect(r.data).toEqual({});
    }

    for (const n of [2, 8]) {
      it(`${n} concurrent logins of one anonymous session: all 200, all join one session carrying its data; old ID dead; the index lists it alone`, async () => {
        const { session, url, copies, errors } = await setup();
        const { client, sid, cookie } = await anonymous(url);
        // Every tab has restored the pre-login session before any logs in (a login that arrives after
        // the move finds the old ID gone, and logs in from a fresh session: see the docs).
        gates.set(`login${n}`, new Barrier(n));
        const responses = await Promise.all(Array.from({ length: n }, () => client.get(`/login?gate=login${n}`, { headers: { cookie } })));
        gates.delete(`login${n}`);
        for (const r of responses) expect(r.status, r.body).toBe(200);
        const sids = new Set(responses.map((r) => body(r).sid));
        expect(sids.size).toBe(1);
        const [winner] = [...sids] as [string];
        expect(winner).not.toBe(sid);
        for (const r of responses) expect(body(r)).toMatchObject({ userId: USER, data: { cart: '7' } });
        // The jar (both tabs) holds the one session.
        expect(body(await client.get('/state'))).toMatchObject({ sid: winner, isNew: false, userId: USER, data: { cart: '7' } });
        await expectDead(url, cookie);
        const listed = await session.userSessions(USER);
        expect(listed).toHaveLength(1);
        const copiesLeft = await copies('cart');
        if (!Number.isNaN(copiesLeft)) expect(copiesLeft).toBe(1);
        expect(errors).toEqual([]);
      }, 30_000);

      it(`${n} concurrent refreshes: all 200, exactly one session carries the data, the others go on fresh; old ID dead`, async () => {
        const { url, copies, errors } = await setup();
        const { client, sid, cookie } = await anonymous(url);
        gates.set(`refresh${n}`, new Barrier(n));
        const responses = await Promise.all(Array.from({ length: n }, () => client.get(`/refresh?gate=refresh${n}`, { headers: { cookie } })));
        gates.delete(`refresh${n}`);
        for (const r of responses) expect(r.status, r.body).toBe(200);
        const carriers = responses.map(body).filter((r) => r.data.cart === '7');
        expect(carriers).toHaveLength(1);
        const winner = (carriers[0] as Body).sid;
        expect(winner).not.toBe(sid);
        for (const r of responses.map(body)) if (r.sid !== winner) expect(r.data).toEqual({});
        // Losers sent no cookie (their fresh session is empty): the jar holds the winner's.
        expect(body(await client.get('/state'))).toMatchObject({ sid: winner, isNew: false, data: { cart: '7' } });
        await expectDead(url, cookie);
        const copiesLeft = await copies('cart');
        if (!Number.isNaN(copiesLeft)) expect(copiesLeft).toBe(1);
        expect(errors).toEqual([]);
      }, 30_000);
    }

    it('a login that arrives with the old cookie just after the move finished joins it too (the same user, within the grace)', async () => {
      const { session, url, copies } = await setup();
      const { client, cookie } = await anonymous(url);
      const first = body(await client.get('/login', { headers: { cookie } }));
      const late = await client.get('/login', { headers: { cookie } });
      expect(late.status, late.body).toBe(200);
      expect(body(late)).toMatchObject({ sid: first.sid, userId: USER, data: { cart: '7' } });
      expect(await session.userSessions(USER)).toHaveLength(1);
      // Another user with that old cookie gets nothing of it.
      const other = body(await new Client(url).get('/login?user=mallory', { headers: { cookie } }));
      expect(other.sid).not.toBe(first.sid);
      expect(other).toMatchObject({ userId: 'mallory', data: {} });
      const copiesLeft = await copies('cart');
      if (!Number.isNaN(copiesLeft)) expect(copiesLeft).toBe(1);
    }, 30_000);

    it('after the grace, a login with the old cookie starts from a fresh session: only the first carries the data', async () => {
      const { session, url, copies } = await setup({ renewGrace: 1 });
      const { client, cookie } = await anonymous(url);
      const first = body(await client.get('/login', { headers: { cookie } }));
      await sleep(2_500);
      const late = body(await client.get('/login', { headers: { cookie } }));
      expect(late).toMatchObject({ isNew: true, reason: 'unknown', userId: USER, data: {} });
      expect(late.sid).not.toBe(first.sid);
      expect(await session.userSessions(USER)).toHaveLength(2);
      const copiesLeft = await copies('cart');
      if (!Number.isNaN(copiesLeft)) expect(copiesLeft).toBe(1);
    }, 30_000);

    it('logins as two different users at once: one wins the data, the other logs in from a fresh session; the indexes match', async () => {
      const { session, url, copies } = await setup();
      const { client, cookie } = await anonymous(url);
      gates.set('two-users', new Barrier(2));
      const [a, b2] = await Promise.all([client.get('/login?gate=two-users&user=alice', { headers: { cookie } }), client.get('/login?gate=two-users&user=bob', { headers: { cookie } })]);
      gates.delete('two-users');
      expect(a.status, a.body).toBe(200);
      expect(b2.status, b2.body).toBe(200);
      const [ra, rb] = [body(a), body(b2)];
      expect(ra.sid).not.toBe(rb.sid);
      // Exactly one carries the cart, bound to its own user; the other is empty.
      const carriers = [ra, rb].filter((r) => r.data.cart === '7');
      expect(carriers).toHaveLength(1);
      for (const r of [ra, rb]) if (r.data.cart === undefined) expect(r.data).toEqual({});
      expect(ra.userId).toBe('alice');
      expect(rb.userId).toBe('bob');
      expect(await session.userSessions('alice')).toHaveLength(1);
      expect(await session.userSessions('bob')).toHaveLength(1);
      const copiesLeft = await copies('cart');
      if (!Number.isNaN(copiesLeft)) expect(copiesLeft).toBe(1);
    }, 30_000);

    if (b.name !== 'memory') {
      it('a login racing saves: a save acknowledged between the copy and the claim is in the new session; one after the claim is refused; the old ID stays dead', async () => {
        const claim = new Gate();
        const late = new Gate();
        gates.set('late', late);
        try {
          const { session, url, copies } = await setup(claim);
          const { client, cookie } = await anonymous(url);
          const loginP = client.get('/login', { headers: { cookie } });
          // The login has copied the session and waits at its claim; a request restores the old ID meanwhile.
          await claim.arrived;
          const lateP = new Client(url).get('/save?gate=late&k=late&v=1', { headers: { cookie } });
          await late.arrived;
          // A save lands on the old ID between the copy and the claim, and is acknowledged.
          const during = await new Client(url).get('/save?k=during&v=1', { headers: { cookie } });
          expect(during.status, during.body).toBe(200);
          expect(JSON.parse(during.body)).not.toHaveProperty('saved');
          claim.open();
          const login = await loginP;
          expect(login.status, login.body).toBe(200);
          // The request that restored before the claim saves after it: refused, no 500, nothing written back.
          late.open();
          const lateRes = await lateP;
          expect(lateRes.status, lateRes.body).toBe(200);
          expect(JSON.parse(lateRes.body)).toMatchObject({ saved: false, error: 'ERR_SESSION_NOT_FOUND' });
          const state = body(await client.get('/state'));
          expect(state).toMatchObject({ sid: body(login).sid, userId: USER, data: { cart: '7', during: '1' } });
          expect(state.data).not.toHaveProperty('late');
          await expectDead(url, cookie);
          expect(await session.userSessions(USER)).toHaveLength(1);
          expect(await copies('cart')).toBe(1);
        } finally {
          gates.delete('late');
          claim.open();
        }
      }, 30_000);
    }

    it('a login racing saves of the same session: no 500, one session carries the data, old ID dead, the index lists it alone', async () => {
      for (let i = 0; i < 4; i++) {
        const { session, url, copies } = await setup();
        const { client, cookie } = await anonymous(url);
        // Saves that land before, during and after the move.
        const [login, ...saves] = await Promise.all([
          client.get('/login?wait=20', { headers: { cookie } }),
          ...[0, 10, 20, 30].map((w) => client.get(`/set?wait=${w + i * 3}&k${w}=1`, { headers: { cookie } })),
        ]);
        expect(login.status, login.body).toBe(200);
        for (const s of saves) expect(s.status, s.body).toBe(200);
        const winner = body(login).sid;
        // The login's cookie (a save request that arrived after the move started a fresh session of its own).
        const loggedIn = login.setCookies.map((l) => l.split(';')[0]).join('; ');
        const state = body(await new Client(url).get('/state', { headers: { cookie: loggedIn } }));
        expect(state).toMatchObject({ sid: winner, userId: USER, data: { cart: '7' } });
        await expectDead(url, cookie);
        expect(await session.userSessions(USER)).toHaveLength(1);
        const copiesLeft = await copies('cart');
        if (!Number.isNaN(copiesLeft)) expect(copiesLeft).toBe(1);
        // A save that reached the store before the move is in the new session; none resurrected the old ID.
        for (const w of [0, 10, 20, 30]) if (state.data[`k${w}`] !== undefined) expect(state.data[`k${w}`]).toBe('1');
      }
    }, 60_000);
  });
}

describe('memcached: saves merge per key with check-and-set', () => {
  async function twoApps(): Promise<{ urls: [string, string]; errors: string[] }> {
    const prefix = `m${++round}:`;
    const errors: string[] = [];
    const urls: string[] = [];
    for (const client of [memcache, memcache2]) {
      const session = new Session(new MemcacheProvider(client, { prefix }), { cookieSecret: SECRET });
      session.on('error', (e) => errors.push(e.error instanceof SessionError ? e.error.code : String(e.error)));
      closers.push(async () => session.dispose());
      urls.push(await serve(session));
    }
    return { urls: urls as [string, string], errors };
  }

  it('64 parallel requests over two app processes, each setting its own key: all 64 kept', async () => {
    const { urls, errors } = await twoApps();
    const client = new Client(urls[0]);
    const created = body(await client.get('/set?base=1'));
    const cookie = (await client.jar.getCookieString(urls[0])) as string;
    const responses = await Promise.all(Array.from({ length: 64 }, (_, i) => new Client(urls[i % 2] as string).get(`/set?k${i}=${i}`, { headers: { cookie } })));
    for (const r of responses) {
      expect(r.status, r.body).toBe(200);
      expect(body(r).sid).toBe(created.sid);
    }
    const after = body(await new Client(urls[1]).get('/state', { headers: { cookie } }));
    const expected: Record<string, string> = { base: '1' };
    for (let i = 0; i < 64; i++) expected[`k${i}`] = String(i);
    expect(after.data).toEqual(expected);
    expect(errors).toEqual([]);
  }, 60_000);

  it('16 parallel requests setting one key: all 200, one value wins, the other keys are kept', async () => {
    const { urls, errors } = await twoApps();
    const client = new Client(urls[0]);
    body(await client.get('/set?base=1&other=2'));
    const cookie = (await client.jar.getCookieString(urls[0])) as string;
    const responses = await Promise.all(Array.from({ length: 16 }, (_, i) => new Client(urls[i % 2] as string).get(`/set?same=${i}`, { headers: { cookie } })));
    for (const r of responses) expect(r.status, r.body).toBe(200);
    const after = body(await client.get('/state'));
    expect(Object.keys(after.data).sort()).toEqual(['base', 'other', 'same']);
    expect(after.data).toMatchObject({ base: '1', other: '2' });
    expect(Array.from({ length: 16 }, (_, i) => String(i))).toContain(after.data.same);
    expect(errors).toEqual([]);
  }, 60_000);

  it('round trips: a restore is one (GAT); a save nobody raced is one (REPLACE with the CAS the restore got)', async () => {
    let performs = 0;
    const counting: MemjsClient = {
      get seq() {
        return memcache.seq;
      },
      incrSeq: () => memcache.incrSeq(),
      perform: (key, request, seq, callback) => {
        performs++;
        memcache.perform(key, request, seq, callback as never);
      },
    };
    const provider = new MemcacheProvider(counting, { prefix: `m${++round}:` });
    await provider.new('sid-rt', new Value({ a: 1 }));
    performs = 0;
    const s = await provider.restore('sid-rt', { touch: true });
    expect(performs).toBe(1);
    s.getValue().set('b', 2);
    await s.setValue(s.getValue());
    expect(performs).toBe(2);
    s.getValue().set('c', 3);
    await s.setValue(s.getValue());
    // A second save of the same request: the CAS its first write got, one round trip again.
    expect(performs).toBe(3);
    expect((await provider.restore('sid-rt')).getValue().toJSON()).toEqual({ a: 1, b: 2, c: 3 });
  });

  it('a deleted key stays deleted while another request sets a different one', async () => {
    const prefix = `m${++round}:`;
    const provider = new MemcacheProvider(memcache, { prefix });
    const other = new MemcacheProvider(memcache2, { prefix });
    await provider.new('sid-del', new Value({ a: 1, b: 2 }));
    const [x, y] = await Promise.all([provider.restore('sid-del'), other.restore('sid-del')]);
    x.getValue().del('a');
    y.getValue().set('c', 3);
    await Promise.all([x.setValue(x.getValue()), y.setValue(y.getValue())]);
    expect((await provider.restore('sid-del')).getValue().toJSON()).toEqual({ b: 2, c: 3 });
  });

  it('a forced conflict storm (another writer before every check-and-set) ends in ERR_STORE_UNAVAILABLE, not a hang; the app answers it', async () => {
    const prefix = `m${++round}:`;
    let replaces = 0;
    let target = '';
    // memjs as the provider sees it, with a rival writer: before each REPLACE of the session,
    // the item is rewritten over another connection (a new CAS), so every check-and-set fails.
    const stormy: MemjsClient = {
      get seq() {
        return memcache.seq;
      },
      incrSeq: () => memcache.incrSeq(),
      perform: (key, request, seq, callback) => {
        if (request[1] === 0x03 && key === target) {
          replaces++;
          void memcachedSet(memcached.port, key, '{"rival":1}', 600).then(() => memcache.perform(key, request, seq, callback as never));
          return;
        }
        memcache.perform(key, request, seq, callback as never);
      },
    };
    const provider = new MemcacheProvider(stormy, { prefix, timeout: 2000 });
    const session = new Session(provider, { cookieSecret: SECRET });
    const errors: string[] = [];
    session.on('error', (e) => errors.push(e.error instanceof SessionError ? e.error.code : String(e.error)));
    closers.push(async () => session.dispose());
    const url = await serve(session);
    const client = new Client(url);
    const created = body(await client.get('/set?base=1'));
    target = provider.keyFor(created.sid);
    const res = await client.get('/save?k=x&v=1');
    expect(res.status, res.body).toBe(503);
    expect(body(res).error).toBe('ERR_STORE_UNAVAILABLE');
    expect(errors).toContain('ERR_STORE_UNAVAILABLE');
    // Bounded: the optimistic write plus at most 16 check-and-set rounds.
    expect(replaces).toBeGreaterThan(1);
    expect(replaces).toBeLessThanOrEqual(17);
    // The rival's write stands; the process serves on.
    target = '';
    expect(body(await client.get('/state')).data).toEqual({ rival: 1 });
  }, 60_000);
});
