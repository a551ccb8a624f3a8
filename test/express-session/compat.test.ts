/**
 * What the failure groups of express-session's own suite were about,
 * checked here against express-session itself as the control: ES5 subclassing
 * of the constructors, exactly the store calls express-session makes,
 * cookie-parser's req.signedCookies / req.cookies, and `cookieFormat: 'signed'`
 * (express-session's exact cookie: going back to express-session keeps
 * everyone logged in). express-session's suite itself: scripts/express-session-suite.sh.
 */
import { createRequire } from 'node:module';
import util from 'node:util';
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import ours, { Cookie, MemoryStore, Session, Store, type SessionOptions } from '../../src/express-session/index.js';
import { Client, cookieNamed, json, type TestServer } from '../helpers/http.js';
import { sessionApp, type Middleware, type Snapshot } from './app.js';

const require = createRequire(import.meta.url);
type Factory = ((options: object) => unknown) & { Store: typeof Store; MemoryStore: new () => object };
const real = require('express-session') as Factory;
const cookieParser = require('cookie-parser') as (secret?: string) => (req: unknown, res: unknown, next: () => void) => void;
const signature = require('cookie-signature') as { sign(value: string, secret: string): string };

const SECRET = 'a test secret that is at least 32 characters';
const servers: TestServer[] = [];
afterEach(async () => {
  while (servers.length) await servers.pop()?.close();
});

async function app(factory: Factory, options: Omit<Partial<SessionOptions>, 'store'> & { store?: unknown }, extra?: Parameters<typeof sessionApp>[1]): Promise<Client> {
  const server = await sessionApp(factory({ secret: SECRET, resave: false, saveUninitialized: false, ...options }) as Middleware, extra);
  servers.push(server);
  return new Client(server.url);
}

describe('ES5 subclassing, as published stores do it', () => {
  it('Store.call(this) + util.inherits: an EventEmitter store the middleware uses', async () => {
    function FileLike(this: Record<string, unknown>) {
      (Store as unknown as (this: unknown) => void).call(this);
      this.records = new Map<string, string>();
    }
    util.inherits(FileLike, Store);
    const proto = FileLike.prototype as Record<string, unknown>;
    proto.get = function (this: { records: Map<string, string> }, sid: string, cb: (e: unknown, s?: unknown) => void) {
      const raw = this.records.get(sid);
      setImmediate(cb, null, raw === undefined ? null : JSON.parse(raw));
    };
    proto.set = function (this: { records: Map<string, string> }, sid: string, s: object, cb: () => void) {
      this.records.set(sid, JSON.stringify(s));
      setImmediate(cb);
    };
    proto.destroy = function (this: { records: Map<string, string> }, sid: string, cb: () => void) {
      this.records.delete(sid);
      setImmediate(cb);
    };
    const store = new (FileLike as unknown as new () => Store & { records: Map<string, string> })();
    expect(store).toBeInstanceOf(Store);
    expect(store).toBeInstanceOf(EventEmitter);
    let heard = 0;
    store.on('ping', () => heard++);
    store.emit('ping');
    expect(heard).toBe(1);
    const c = await app(ours as unknown as Factory, { store });
    await c.get('/set?a=1');
    expect((await c.get('/incr')).body).toBe('1');
    expect(json<Snapshot>(await c.get('/get')).data).toMatchObject({ a: '1', n: 1 });
    expect(store.records.size).toBe(1);
  });

  it('MemoryStore, Session and Cookie are callable on an object too; class extends still works; a call without an object throws', () => {
    const m: Record<string, unknown> = {};
    Object.setPrototypeOf(m, MemoryStore.prototype);
    (MemoryStore as unknown as (this: unknown) => void).call(m);
    expect(m.sessions).toEqual({});
    expect(m).toBeInstanceOf(Store);
    const c: Record<string, unknown> = {};
    Object.setPrototypeOf(c, Cookie.prototype);
    (Cookie as unknown as (this: unknown, o: object) => void).call(c, { maxAge: 1000, path: '/x' });
    expect((c as unknown as Cookie).originalMaxAge).toBe(1000);
    expect((c as unknown as Cookie).path).toBe('/x');
    const s: Record<string, unknown> = {};
    Object.setPrototypeOf(s, Session.prototype);
    (Session as unknown as (this: unknown, req: object, data: object) => void).call(s, { sessionID: 'abc' }, { a: 1 });
    expect(s.id).toBe('abc');
    expect(s.a).toBe(1);
    class Sub extends MemoryStore {}
    expect(new Sub()).toBeInstanceOf(MemoryStore);
    expect(new Sub().constructor).toBe(Sub);
    expect(new MemoryStore().constructor).toBe(MemoryStore);
    expect(() => (Store as unknown as () => void)()).toThrow(TypeError);
  });
});

/** A store that records every call, made the ES5 way from whichever factory. */
function countingStore(factory: Factory): { store: object; calls: string[] } {
  const calls: string[] = [];
  const records = new Map<string, string>();
  function Counting(this: object) {
    (factory.Store as unknown as (this: unknown) => void).call(this);
  }
  util.inherits(Counting, factory.Store);
  Object.assign(Counting.prototype as object, {
    get(sid: string, cb: (e: unknown, s?: unknown) => void) {
      calls.push('get');
      const raw = records.get(sid);
      setImmediate(cb, null, raw === undefined ? null : JSON.parse(raw));
    },
    set(sid: string, s: object, cb: () => void) {
      calls.push('set');
      records.set(sid, JSON.stringify(s));
      setImmediate(cb);
    },
    touch(_sid: string, _s: object, cb: () => void) {
      calls.push('touch');
      setImmediate(cb);
    },
    destroy(sid: string, cb: () => void) {
      calls.push('destroy');
      records.delete(sid);
      setImmediate(cb);
    },
  });
  return { store: new (Counting as unknown as new () => object)(), calls };
}

describe('exactly the store calls express-session makes', () => {
  const flows: { name: string; options: Omit<Partial<SessionOptions>, 'store'>; paths: string[]; expected: string[] }[] = [
    { name: 'saveUninitialized false, nothing set: no write', options: {}, paths: ['/get', '/get'], expected: [] },
    { name: 'a change is one set; an unchanged return is a get and a touch', options: {}, paths: ['/set?a=1', '/get'], expected: ['set', 'get', 'touch'] },
    { name: 'save() in the handler: one set, none at the end of the request', options: { saveUninitialized: true }, paths: ['/save?a=1'], expected: ['set'] },
    { name: 'resave true: an unchanged return is written again', options: { resave: true }, paths: ['/set?a=1', '/get'], expected: ['set', 'get', 'set'] },
    { name: 'rolling: an unchanged return is touched', options: { rolling: true, cookie: { maxAge: 60_000 } }, paths: ['/set?a=1', '/get'], expected: ['set', 'get', 'touch'] },
    { name: 'regenerate: destroy, then the new session is set', options: {}, paths: ['/set?a=1', '/regenerate'], expected: ['set', 'get', 'destroy', 'set'] },
    { name: 'destroy', options: {}, paths: ['/set?a=1', '/destroy'], expected: ['set', 'get', 'destroy'] },
  ];
  for (const flow of flows) {
    it(flow.name, async () => {
      const seen: Record<string, string[]> = {};
      for (const [name, factory] of [
        ['express-session', real],
        ['ours', ours as unknown as Factory],
        ['ours signed', ((o: object) => ours({ ...o, cookieFormat: 'signed' })) as unknown as Factory],
      ] as const) {
        const { store, calls } = countingStore(name === 'express-session' ? real : (ours as unknown as Factory));
        const c = await app(factory, { store, ...flow.options });
        for (const p of flow.paths) expect((await c.get(p)).status).toBe(200);
        seen[name] = calls;
      }
      expect(seen['express-session']).toEqual(flow.expected);
      expect(seen.ours).toEqual(flow.expected);
      expect(seen['ours signed']).toEqual(flow.expected);
    });
  }
});

describe('a MemoryStore method wrapped after the middleware was made', () => {
  it('every call goes through the wrapper (as the suite counts them), both for ours and for express-session', async () => {
    for (const factory of [real, ours as unknown as Factory]) {
      const store = new factory.MemoryStore() as { set(...a: unknown[]): unknown; touch(...a: unknown[]): unknown };
      const c = await app(factory, { store });
      const calls: string[] = [];
      for (const m of ['set', 'touch'] as const) {
        const orig = store[m];
        store[m] = function (this: unknown, ...args: unknown[]) {
          calls.push(m);
          return orig.apply(this, args);
        };
      }
      await c.get('/set?a=1');
      await c.get('/get');
      expect(calls).toEqual(['set', 'touch']);
    }
  });
});

describe("cookie-parser mounted first: req.signedCookies and req.cookies, as express-session reads them", () => {
  // The Cookie header is hidden after cookie-parser ran: only its parsed cookies are left.
  const hideHeader = (a: Parameters<NonNullable<Parameters<typeof sessionApp>[1]>>[0]): void => {
    a.use((req, _res, next) => {
      req.headers.cookie = 'other=1';
      next();
    });
  };
  for (const [name, options] of [
    ['express-session', {}],
    ['ours (sealed)', {}],
    ['ours signed', { cookieFormat: 'signed' }],
  ] as const) {
    it(`${name}: the session continues from cookie-parser's parse`, async () => {
      const factory = name === 'express-session' ? real : (ours as unknown as Factory);
      const server = await sessionApp(
        cookieParser(SECRET) as unknown as Middleware,
        (a) => {
          hideHeader(a);
          a.use(factory({ secret: SECRET, resave: false, saveUninitialized: false, ...options }) as Middleware as never);
        },
      );
      servers.push(server);
      const c = new Client(server.url);
      // sessionApp mounts cookie-parser where the session goes; the real session is mounted in `extra`.
      await c.get('/set?a=1');
      expect((await c.get('/incr')).body).toBe('1');
      expect((await c.get('/incr')).body).toBe('2');
      expect(json<Snapshot>(await c.get('/get')).data).toMatchObject({ a: '1', n: 2 });
    });
  }
  it("ours (sealed): an express-session cookie that only cookie-parser's req.signedCookies has continues, and is replaced by a sealed one", async () => {
    const store = new real.MemoryStore();
    const legacy = await app(real, { store });
    const c = new Client(legacy.base);
    const id = json<Snapshot>(await c.get('/set?user=ada')).sessionID;
    const server = await sessionApp(cookieParser(SECRET) as unknown as Middleware, (a) => {
      hideHeader(a);
      a.use(ours({ secret: SECRET, store: store as never, resave: false, saveUninitialized: false }) as never);
    });
    servers.push(server);
    const next = new Client(server.url);
    await next.setCookie('connect.sid', (await c.cookie('connect.sid')) as string);
    const r = await next.get('/get');
    expect(json<Snapshot>(r)).toMatchObject({ sessionID: id, data: { user: 'ada' } });
    expect(decodeURIComponent(cookieNamed(r, 'connect.sid')?.value ?? 's:').startsWith('s:')).toBe(false);
  });
});

// The three tests of the suite that only the signed format passes for want of the ID in the cookie
// (its `sid(res)` helper), with the ID taken from req.sessionID instead, in both formats.
describe("the suite's store-lookup tests, with the ID from req.sessionID", () => {
  for (const [name, options] of [
    ['express-session', {}],
    ['ours (sealed)', {}],
    ['ours signed', { cookieFormat: 'signed' }],
  ] as const) {
    const factory = (): Factory => (name === 'express-session' ? real : (ours as unknown as Factory));
    type Records = { get(sid: string, cb: (err: unknown, s?: { cookie?: { expires?: string } } | null) => void): void; set(sid: string, s: object, cb: (err?: unknown) => void): void };
    const stored = (store: Records, sid: string) =>
      new Promise<{ cookie?: { expires?: string } } | null | undefined>((resolve, reject) => store.get(sid, (err, s) => (err ? reject(err) : resolve(s))));

    it(`${name}: should persist (the record is in the store under the session's ID)`, async () => {
      const store = new (factory().MemoryStore)() as unknown as Records;
      const c = await app(factory(), { store, ...options });
      expect((await c.get('/incr')).body).toBe('1');
      const id = json<Snapshot>(await c.get('/get')).sessionID as string;
      expect(await stored(store, id)).toMatchObject({ n: 1 });
      expect((await c.get('/incr')).body).toBe('2');
    });

    it(`${name}: a record without cookie property errors from inflate (500)`, async () => {
      const store = new (factory().MemoryStore)() as unknown as Records;
      const c = await app(factory(), { store, ...options });
      const id = json<Snapshot>(await c.get('/set?a=1')).sessionID as string;
      await new Promise<void>((resolve, reject) => store.set(id, { foo: 'bar' }, (err) => (err ? reject(err) : resolve())));
      const r = await c.get('/get');
      expect(r.status).toBe(500);
      expect(r.body).toMatch(/Cannot read prop/);
    });

    it(`${name}: touch() moves the stored expiry`, async () => {
      const store = new (factory().MemoryStore)() as unknown as Records;
      const c = await app(factory(), { store, cookie: { maxAge: 60_000 }, ...options });
      const id = json<Snapshot>(await c.get('/set?a=1')).sessionID as string;
      const first = (await stored(store, id))?.cookie?.expires;
      // Wait for the clock to move on (no timing assert: only that the expiry is a later one).
      const t = Date.now();
      while (Date.now() <= t + 2) await new Promise((r) => setTimeout(r, 5));
      await c.get('/touch');
      const second = (await stored(store, id))?.cookie?.expires;
      expect(typeof first).toBe('string');
      expect(new Date(second as string).getTime()).toBeGreaterThan(new Date(first as string).getTime());
    });
  }
});

describe("cookieFormat: 'signed'", () => {
  it("writes express-session's exact cookie: s:<id>.<cookie-signature HMAC>, URI-encoded", async () => {
    const c = await app(ours as unknown as Factory, { cookieFormat: 'signed', genid: () => 'apple/pie' });
    const r = await c.get('/set?a=1');
    expect(r.setCookies[0]?.split(';')[0]).toBe('connect.sid=' + encodeURIComponent('s:' + signature.sign('apple/pie', SECRET)));
    expect(json<Snapshot>(r).sessionID).toBe('apple/pie');
  });

  it('roll back: sessions made by the drop-in continue on express-session, and back again, with nobody logged out', async () => {
    const store = new real.MemoryStore();
    const oursApp = await app(ours as unknown as Factory, { cookieFormat: 'signed', store });
    const c = new Client(oursApp.base);
    const id = json<Snapshot>(await c.get('/set?user=ada')).sessionID;
    await c.get('/incr');
    const realApp = await app(real, { store });
    const back = new Client(realApp.base);
    await back.setCookie('connect.sid', (await c.cookie('connect.sid')) as string);
    expect((await back.get('/incr')).body).toBe('2');
    const r = json<Snapshot>(await back.get('/get'));
    expect(r.sessionID).toBe(id);
    expect(r.data).toMatchObject({ user: 'ada', n: 2 });
    // And express-session's cookie keeps working on the drop-in in the signed format.
    const again = new Client(oursApp.base);
    await again.setCookie('connect.sid', (await back.cookie('connect.sid')) as string);
    expect((await again.get('/incr')).body).toBe('3');
  });

  it('a sealed cookie is read and replaced by a signed one (and the reverse): switching format logs nobody out', async () => {
    const store = new MemoryStore();
    const sealed = await app(ours as unknown as Factory, { store });
    const signed = await app(ours as unknown as Factory, { store, cookieFormat: 'signed' });
    const c = new Client(sealed.base);
    await c.get('/set?user=ada');
    const token = (await c.cookie('connect.sid')) as string;
    expect(decodeURIComponent(token).startsWith('s:')).toBe(false);
    const s = new Client(signed.base);
    await s.setCookie('connect.sid', token);
    const r = await s.get('/get');
    expect(json<Snapshot>(r).data.user).toBe('ada');
    expect(decodeURIComponent(cookieNamed(r, 'connect.sid')?.value ?? '').startsWith('s:')).toBe(true);
    const back = new Client(sealed.base);
    await back.setCookie('connect.sid', (await s.cookie('connect.sid')) as string);
    const r2 = await back.get('/get');
    expect(json<Snapshot>(r2).data.user).toBe('ada');
    expect(decodeURIComponent(cookieNamed(r2, 'connect.sid')?.value ?? '').startsWith('s:')).toBe(false);
  });
});
