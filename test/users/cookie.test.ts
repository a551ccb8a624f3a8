/**
 * User sessions on CookieProvider with a revocation store (memory, and a real
 * Redis): the binding travels sealed in the value cookies, the per-user index
 * and the revocations live in the store. Plus what is refused without one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../src/errors.js';
import { Session } from '../../src/session/session.js';
import { CookieProvider } from '../../src/providers/cookie/provider.js';
import { CookieUsers, cookieRef } from '../../src/providers/cookie/users.js';
import { MemoryProvider } from '../../src/providers/memory/provider.js';
import type { Provider, RecordStore } from '../../src/providers/provider.js';
import { RedisProvider } from '../../src/providers/redis/provider.js';
import { redisPerFile } from '../providers/fixtures.js';
import { Client, json, listen, type TestServer } from '../helpers/http.js';
import { manageApp, type ManageBody } from './manage-app.js';
import { SECRET, fakeRes, usersSuite } from './suite.js';

const redis = redisPerFile();
let n = 0;

/** Entries the user's cookie index holds (raw, as the revocation store keeps it). */
async function indexSize(p: Provider, userId: string): Promise<number> {
  const got = await (p.records as RecordStore).get('c\u0000' + userId);
  return got === null ? 0 : Object.keys(JSON.parse(got.text) as object).length;
}

const cookieOptions = {
  renews: false,
  seesUse: false,
  perKeyMerge: false,
  // A cookie session's lifetime is absolute (cookieExpire): it is what ends it on its own.
  expiry: (ttl: number) => ({ cookieExpire: ttl }),
  pruneCount: 300,
  indexSize,
};

usersSuite('cookie + memory revocation store', { ...cookieOptions, provider: () => new CookieProvider({ revocation: new MemoryProvider() }), shortTtl: 2 });

usersSuite('cookie + redis revocation store', {
  ...cookieOptions,
  provider: () => new CookieProvider({ revocation: new RedisProvider(redis.client, { prefix: `cr${++n}:` }) }),
  shortTtl: 5,
});

const cookieOf = (res: ReturnType<typeof fakeRes>): string =>
  (res.getHeader('set-cookie') ?? [])
    .map((l) => l.split(';')[0]!)
    .filter((c) => !c.endsWith('='))
    .join('; ');

describe('CookieProvider without a revocation store that has records', () => {
  const cases: [string, () => CookieProvider][] = [
    ['no revocation store', () => new CookieProvider()],
    [
      'a revocation store without records',
      () => {
        const m = new MemoryProvider();
        // A custom store: the Provider methods only.
        const bare: Provider = { new: (s, v) => m.new(s, v), restore: (s, o) => m.restore(s, o), refresh: (s, t) => m.refresh(s, t), destroy: (s) => m.destroy(s) };
        return new CookieProvider({ revocation: bare });
      },
    ],
  ];
  for (const [what, make] of cases) {
    it(`${what}: login, userSessions and destroyUserSessions are a typed UnsupportedError naming the revocation store`, async () => {
      const p = make();
      expect(p.users).toBeUndefined();
      expect(p.records).toBeUndefined();
      const s = new Session(p, { cookieSecret: SECRET, backend: 'node' });
      s.on('error', () => {});
      for (const attempt of [s.login({ headers: {} }, fakeRes(), 'u'), s.userSessions('u'), s.destroyUserSessions('u')]) {
        const err = await attempt.then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toMatchObject({ code: 'ERR_UNSUPPORTED', name: 'UnsupportedError' });
        expect((err as Error).message).toMatch(/CookieProvider: give it a revocation store with a user index/);
      }
      // The session itself still works.
      const res = fakeRes();
      const store = await s.start({ headers: {} }, res);
      store.getValue().set('k', 1);
      await store.save();
      expect((await s.start({ headers: { cookie: cookieOf(res) } }, fakeRes())).getValue().get('k')).toBe(1);
    });
  }
});

describe('CookieProvider + Redis: what the store holds, what a request costs', () => {
  it('the index is one record per user under a hash of its name, holding no session ID; the binding is in the sealed cookie, not the store', async () => {
    const rev = new RedisProvider(redis.client, { prefix: 'clayout:' });
    const s = new Session(new CookieProvider({ revocation: rev }), { cookieSecret: SECRET, backend: 'node', cookieExpire: 3600 });
    const res = fakeRes();
    const store = await s.login({ headers: {} }, res, 'user-c', { label: 'Firefox' });
    const key = rev.records.keyFor('c\u0000user-c');
    expect(key).toMatch(/^clayout:rec:[0-9a-f]{64}$/);
    const raw = (await redis.client.get(key))!;
    const entries = Object.values(JSON.parse(raw) as Record<string, { l: string }>);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ l: 'Firefox' });
    expect(raw).not.toContain(store.sessionID());
    const ttl = await redis.client.ttl(key);
    expect(ttl).toBeGreaterThan(3500);
    expect(ttl).toBeLessThanOrEqual(3600);
    // Nothing under the session's own key: the store holds only revocations.
    expect(await redis.client.exists(rev.keyFor(store.sessionID()))).toBe(0);
    // The value cookie carries the binding: a returning request knows its user.
    const back = await s.start({ headers: { cookie: cookieOf(res) } }, fakeRes());
    expect(back.userId()).toBe('user-c');
  });

  it('a returning request of a user-bound cookie session costs what an anonymous one does: the one revocation lookup', async () => {
    const rev = new RedisProvider(redis.client, { prefix: 'ccost:' });
    const s = new Session(new CookieProvider({ revocation: rev }), { cookieSecret: SECRET, backend: 'node' });
    const bound = fakeRes();
    await s.login({ headers: {} }, bound, 'cost-user');
    const anon = fakeRes();
    const a = await s.start({ headers: {} }, anon);
    a.getValue().set('x', 1);
    await a.save();
    const client = redis.client as unknown as { sendCommand: (...a: unknown[]) => unknown };
    const send = client.sendCommand.bind(client);
    let commands = 0;
    client.sendCommand = (...args: unknown[]) => {
      commands++;
      return send(...args);
    };
    try {
      for (const [res, userId] of [[anon, null], [bound, 'cost-user']] as const) {
        commands = 0;
        const store = await s.start({ headers: { cookie: cookieOf(res) } }, fakeRes());
        expect(store.isNew()).toBe(false);
        expect(store.userId()).toBe(userId);
        expect(commands).toBe(1);
      }
    } finally {
      client.sendCommand = send;
    }
  });

  it('a tampered binding does not open: the value cookie is sealed with the data', async () => {
    const s = new Session(new CookieProvider({ revocation: new MemoryProvider() }), { cookieSecret: SECRET, backend: 'node' });
    s.on('error', () => {});
    const res = fakeRes();
    await s.login({ headers: {} }, res, 'mallory-target');
    const cookie = cookieOf(res).replace(/(sid\.data=[^;]{20})(.)/, (_m, a: string, c: string) => a + (c === 'A' ? 'B' : 'A'));
    const store = await s.start({ headers: { cookie } }, fakeRes());
    expect(store.isNew()).toBe(true);
    expect(store.userId()).toBe(null);
  });
});

describe('CookieProvider user index bound', () => {
  it('past the most sessions one user may keep, the oldest logins are ended (revoked), not silently unindexed', async () => {
    const revocation = new MemoryProvider();
    const { createCodec } = await import('../../src/crypto/index.js');
    const codec = createCodec({ secrets: [SECRET], name: 'index-test', backend: 'node' });
    const index = new CookieUsers({ revocation, records: revocation.records, codec: () => codec, lifetime: () => 3600 }, 3);
    const sids = ['a', 'b', 'c', 'd', 'e'].map((c) => c.repeat(22));
    for (let i = 0; i < sids.length; i++) await index.index(sids[i]!, { userId: 'u', loginAt: 1000 + i }, Date.now(), null);
    const listed = await index.list('u');
    expect(listed.map((e) => e.ref).sort()).toEqual(sids.slice(2).map(cookieRef).sort());
    expect(listed.every((e) => e.lastSeenAt === null)).toBe(true);
    // The two oldest are revoked, marked so their cookies say 'revoked'.
    for (const sid of sids.slice(0, 2)) expect(await index.revoked(sid)).toBe(true);
    for (const sid of sids.slice(2)) expect(await index.revoked(sid)).toBe(false);
    // destroy counts what it ended; a second time nothing.
    expect(await index.destroy('u', [cookieRef(sids[2]!)])).toBe(1);
    expect(await index.destroy('u', [cookieRef(sids[2]!)])).toBe(0);
    expect(await index.revoked(sids[2]!)).toBe(true);
    expect((await index.list('u')).map((e) => e.ref).sort()).toEqual(sids.slice(3).map(cookieRef).sort());
  });
});

describe('CookieProvider user features with a failing revocation store', () => {
  const servers: TestServer[] = [];
  afterEach(async () => {
    while (servers.length) await servers.pop()!.close();
  });

  /** A MemoryProvider revocation store whose every call fails (as a bundled provider does) while `down` is set. */
  function flakyStore(): { store: Provider; setDown(v: boolean): void } {
    const m = new MemoryProvider();
    let down = false;
    const gate = <T>(f: () => Promise<T>): Promise<T> => (down ? Promise.reject(new StoreUnavailableError('connection refused')) : f());
    const records: RecordStore = { get: (n) => gate(() => m.records.get(n)), put: (n, t, v, ttl) => gate(() => m.records.put(n, t, v, ttl)) };
    const store: Provider = {
      new: (s, v) => gate(() => m.new(s, v)),
      restore: (s, o) => gate(() => m.restore(s, o)),
      refresh: (s, t) => gate(() => m.refresh(s, t)),
      destroy: (s) => gate(() => m.destroy(s)),
      useDefaults: (d) => m.useDefaults(d),
      records,
    };
    return { store, setDown: (v) => void (down = v) };
  }

  it('login, listing and log-out-everywhere while it is down: typed 503s, no session handed out; once back, all of it works', async () => {
    const { store, setDown } = flakyStore();
    const session = new Session(new CookieProvider({ revocation: store }), { cookieSecret: SECRET, backend: 'node' });
    const errors: string[] = [];
    session.on('error', (e) => errors.push(e.error.code));
    const server = await listen(manageApp(session));
    servers.push(server);
    const a = new Client(server.url);
    const b = new Client(server.url);
    setDown(true);
    const refused = await a.get('/login?user=fu');
    expect(refused.status).toBe(503);
    expect(json<{ error: string }>(refused).error).toBe('ERR_STORE_UNAVAILABLE');
    expect(errors).toContain('ERR_STORE_UNAVAILABLE');
    setDown(false);
    expect(json<ManageBody>(await a.get('/state')).userId).toBe(null);
    expect((await a.get('/login?user=fu&remember')).status).toBe(200);
    expect((await b.get('/login?user=fu')).status).toBe(200);
    setDown(true);
    expect(json<{ error: string }>(await a.get('/list?user=fu')).error).toBe('ERR_STORE_UNAVAILABLE');
    expect(json<{ error: string }>(await b.get('/revoke-all?user=fu')).error).toBe('ERR_STORE_UNAVAILABLE');
    setDown(false);
    expect(json<unknown[]>(await b.get('/list?user=fu'))).toHaveLength(2);
    expect(json<{ destroyed: number }>(await b.get('/revoke-all?user=fu&keep')).destroyed).toBe(1);
    expect(json<ManageBody>(await a.get('/state'))).toMatchObject({ isNew: true, userId: null, reason: 'revoked' });
    expect(json<ManageBody>(await b.get('/state'))).toMatchObject({ isNew: false, userId: 'fu' });
  });
});
