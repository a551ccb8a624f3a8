/**
 * ExpressStoreProvider: any express-session store under the core `Session`,
 * on real stores (memorystore, connect-redis on redis-server,
 * connect-pg-simple on PostgreSQL, the compat MemoryStore, express-session's
 * MemoryStore), plus deadlines and callback/promise-style stores.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import realSession from 'express-session';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionError } from '../../src/errors.js';
import { Session } from '../../src/session/session.js';
import { Value } from '../../src/manager/value.js';
import { ExpressStoreProvider, type ExpressStoreLike } from '../../src/providers/express-store/provider.js';
import { Client, json, listen, type TestServer } from '../helpers/http.js';
import { allStores, readRecord, type StoreHandle } from '../express-session/stores.js';

const SECRET = 'express-store-provider-test-secret-0123456789';

interface Body {
  sid: string;
  isNew: boolean;
  data: Record<string, unknown>;
}

function app(session: Session): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    res.setHeader('content-type', 'application/json');
    if (url.pathname === '/refresh') await session.refresh(req, res);
    if (url.pathname === '/destroy') {
      await session.destroy(req, res);
      res.end('{}');
      return;
    }
    const store = await session.start(req, res);
    if (url.pathname === '/set') for (const [k, v] of url.searchParams) store.getValue().set(k, v);
    if (url.pathname === '/incr') store.getValue().set('n', store.getValue().int('n') + 1);
    res.end(JSON.stringify({ sid: store.sessionID(), isNew: store.isNew(), data: store.getValue().toJSON() }));
  };
}

const fixtures = [...allStores(), {
  name: "express-session's MemoryStore",
  setup: async () => {},
  teardown: async () => {},
  make: (() => {
    const s = new realSession.MemoryStore();
    return () => s as unknown as StoreHandle;
  })(),
}];

for (const fixture of fixtures) {
  describe(`ExpressStoreProvider on ${fixture.name}`, () => {
    let server: TestServer;
    let store: StoreHandle;
    beforeAll(async () => {
      await fixture.setup();
      store = fixture.make();
      const session = new Session(new ExpressStoreProvider(store as ExpressStoreLike), { cookieSecret: SECRET, sessionExpire: 600 });
      server = await listen(app(session));
    });
    afterAll(async () => {
      await server?.close();
      await fixture.teardown();
    });

    it("saves whole records in express-session's shape, expiry as cookie.expires and cookie.maxAge", async () => {
      const c = new Client(server.url);
      const b = json<Body>(await c.get('/set?user=ada'));
      const rec = (await readRecord(store, b.sid)) as { user: string; cookie: { expires: string; maxAge: number; originalMaxAge: number } };
      expect(rec.user).toBe('ada');
      expect(rec.cookie.maxAge).toBe(600_000);
      expect(rec.cookie.originalMaxAge).toBe(600_000);
      expect(new Date(rec.cookie.expires).getTime()).toBeGreaterThan(Date.now() + 500_000);
      for (let i = 1; i <= 3; i++) expect(json<Body>(await c.get('/incr')).data.n).toBe(i);
      const again = json<Body>(await c.get('/get'));
      expect(again.isNew).toBe(false);
      expect(again.data).toEqual({ user: 'ada', n: 3 });
    });

    it('refresh moves the data to a new ID and removes the old; destroy removes it', async () => {
      const c = new Client(server.url);
      const first = json<Body>(await c.get('/set?user=bob')).sid;
      const moved = json<Body>(await c.get('/refresh'));
      expect(moved.sid).not.toBe(first);
      expect(moved.data.user).toBe('bob');
      expect(await readRecord(store, first)).toBeFalsy();
      expect(await readRecord(store, moved.sid)).toMatchObject({ user: 'bob' });
      await c.get('/destroy');
      expect(await readRecord(store, moved.sid)).toBeFalsy();
      expect(json<Body>(await c.get('/get')).isNew).toBe(true);
    });

    it('without a TTL no expires is written (connect-redis would delete a record whose TTL <= 0)', async () => {
      const p = new ExpressStoreProvider(store as ExpressStoreLike, { ttl: 0 });
      const sid = `no-ttl-${Date.now()}-${Math.random()}`;
      await p.new(sid, new Value({ a: 1 }));
      const rec = (await readRecord(store, sid)) as { a: number; cookie: Record<string, unknown> };
      expect(rec.a).toBe(1);
      expect(rec.cookie.expires ?? null).toBeNull();
      expect(rec.cookie.maxAge ?? null).toBeNull();
      expect((await p.restore(sid, { touch: true })).getValue().toJSON()).toEqual({ a: 1 });
      await p.destroy(sid);
    });

    it('new is create-if-absent (ERR_DUPLICATE_ID); restore of an unknown ID is ERR_SESSION_NOT_FOUND', async () => {
      const p = new ExpressStoreProvider(store as ExpressStoreLike, { ttl: 60 });
      const sid = `dup-${Date.now()}-${Math.random()}`;
      await p.new(sid);
      await expect(p.new(sid)).rejects.toMatchObject({ code: 'ERR_DUPLICATE_ID' });
      await expect(p.restore(`${sid}-nope`)).rejects.toMatchObject({ code: 'ERR_SESSION_NOT_FOUND' });
      await p.destroy(sid);
    });
  });
}

describe('ExpressStoreProvider: store styles and deadlines', () => {
  it('a store that never calls back is ERR_STORE_UNAVAILABLE within the deadline, for every call', async () => {
    const hung: ExpressStoreLike = { get() {}, set() {}, destroy() {}, touch() {} };
    const p = new ExpressStoreProvider(hung, { ttl: 60, timeout: 200 });
    for (const op of [() => p.new('a'), () => p.restore('a', { touch: true }), () => p.refresh('a', 'b'), () => p.destroy('a'), () => p.touch('a')]) {
      const err = await op().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(SessionError);
      expect((err as SessionError).code).toBe('ERR_STORE_UNAVAILABLE');
    }
  });

  it('a store error is ERR_STORE_UNAVAILABLE with the cause; a corrupt record is ERR_CORRUPT_RECORD', async () => {
    const cause = new Error('connection refused');
    const failing: ExpressStoreLike = {
      get: (_s, cb) => cb(cause),
      set: (_s, _v, cb) => cb(cause),
      destroy: (_s, cb) => cb(cause),
    };
    const err = await new ExpressStoreProvider(failing, { ttl: 60 }).restore('x').catch((e: unknown) => e);
    expect((err as SessionError).code).toBe('ERR_STORE_UNAVAILABLE');
    expect((err as Error).cause).toBe(cause);
    const corrupt: ExpressStoreLike = { get: (_s, cb) => cb(null, 'not json {'), set: (_s, _v, cb) => cb(), destroy: (_s, cb) => cb() };
    await expect(new ExpressStoreProvider(corrupt, { ttl: 60 }).restore('x')).rejects.toMatchObject({ code: 'ERR_CORRUPT_RECORD' });
  });

  it('promise-style stores (methods that return promises and ignore the callback) work, and touch is used when present', async () => {
    const data = new Map<string, string>();
    const calls: string[] = [];
    const promiseStore = {
      async get(sid: string) {
        calls.push('get');
        const v = data.get(sid);
        return v === undefined ? null : (JSON.parse(v) as unknown);
      },
      async set(sid: string, s: object) {
        calls.push('set');
        data.set(sid, JSON.stringify(s));
      },
      async destroy(sid: string) {
        calls.push('destroy');
        data.delete(sid);
      },
      async touch() {
        calls.push('touch');
      },
    };
    const p = new ExpressStoreProvider(promiseStore as unknown as ExpressStoreLike, { ttl: 60 });
    const s = await p.new('p1', new Value({ k: 'v' }));
    s.getValue().set('k2', 2);
    await s.setValue(s.getValue());
    const back = await p.restore('p1', { touch: true });
    expect(back.getValue().toJSON()).toEqual({ k: 'v', k2: 2 });
    expect(calls).toEqual(['get', 'set', 'set', 'get', 'touch']);
    await p.destroy('p1');
    expect(data.size).toBe(0);
  });

  it('the key "cookie" is reserved in records', async () => {
    const p = new ExpressStoreProvider(new realSession.MemoryStore() as unknown as ExpressStoreLike, { ttl: 60 });
    await expect(p.new('c1', new Value({ cookie: 1 }))).rejects.toMatchObject({ code: 'ERR_INVALID_VALUE' });
  });
});
