/**
 * wasm-session/express-session against express-session 1.19's documented
 * behaviour (README "Options", "req.session", "Session.*", "Store"), over
 * real HTTP with a cookie jar.
 */
import { afterEach, describe, expect, it } from 'vitest';
import session, { MemoryStore, Store, type SessionOptions } from '../../src/express-session/index.js';
import express from 'express';
import { Client, cookieNamed, json, listen, rawRequest, sleep, type TestServer } from '../helpers/http.js';
import { sessionApp, type Middleware, type Snapshot } from './app.js';

const SECRET = 'a test secret that is at least 32 characters';
const servers: TestServer[] = [];
afterEach(async () => {
  while (servers.length) await servers.pop()?.close();
});

/** A MemoryStore whose calls are counted (overriding methods also takes the store off the synchronous fast path). */
class CountingStore extends MemoryStore {
  calls: string[] = [];
  override get(sid: string, cb: (err?: unknown, s?: Record<string, unknown> | null) => void): void {
    this.calls.push('get');
    super.get(sid, cb);
  }
  override set(sid: string, s: object, cb?: (err?: unknown) => void): void {
    this.calls.push('set');
    super.set(sid, s, cb);
  }
  override destroy(sid: string, cb?: (err?: unknown) => void): void {
    this.calls.push('destroy');
    super.destroy(sid, cb);
  }
  override touch(sid: string, s: { cookie?: unknown }, cb?: (err?: unknown) => void): void {
    this.calls.push('touch');
    super.touch(sid, s, cb);
  }
  record(sid: string): Record<string, unknown> | undefined {
    const raw = this.sessions[sid];
    return raw === undefined ? undefined : (JSON.parse(raw) as Record<string, unknown>);
  }
}

async function start(options: SessionOptions, extra?: Parameters<typeof sessionApp>[1]): Promise<{ client: Client; server: TestServer }> {
  const server = await sessionApp(session(options) as unknown as Middleware, extra);
  servers.push(server);
  return { client: new Client(server.url), server };
}

const base = { secret: SECRET, resave: false, saveUninitialized: false };

describe('defaults', () => {
  it('name connect.sid, MemoryStore, resave and saveUninitialized true, a browser-session HttpOnly cookie on Path=/', async () => {
    const store = new CountingStore();
    const { client } = await start({ secret: SECRET, store });
    const r = await client.get('/get');
    const c = cookieNamed(r, 'connect.sid');
    expect(c).toBeDefined();
    expect(c?.httpOnly).toBe(true);
    expect(c?.path).toBe('/');
    expect(c?.expires).toBeUndefined();
    expect(c?.maxAge).toBeUndefined();
    const snap = json<Snapshot>(r);
    // saveUninitialized: true stores the untouched new session.
    expect(Object.keys(store.sessions)).toEqual([snap.sessionID]);
    expect(snap.cookie?.maxAge).toBeNull();
    // resave: true saves an unmodified session again.
    store.calls.length = 0;
    await client.get('/get');
    expect(store.calls).toEqual(['get', 'set']);
  });

  it('the default store is a MemoryStore on req.sessionStore', async () => {
    let seen: unknown;
    const { client } = await start(base, (app) =>
      app.get('/store', (req, res) => {
        seen = (req as unknown as { sessionStore: unknown }).sessionStore;
        res.end('x');
      }),
    );
    await client.get('/store');
    expect(seen).toBeInstanceOf(MemoryStore);
    expect(seen).toBeInstanceOf(Store);
  });

  it('the cookie is a sealed token: not s:-signed and not carrying the session ID in the clear', async () => {
    const { client } = await start({ ...base, saveUninitialized: true });
    const r = await client.get('/get');
    const value = cookieNamed(r, 'connect.sid')?.value ?? '';
    const id = json<Snapshot>(r).sessionID as string;
    expect(value.startsWith('s:')).toBe(false);
    expect(value).not.toContain(id);
    // The token's header (version, key id, IV: 24 characters), a dot, its ciphertext and tag.
    expect(value).toMatch(/^[A-Za-z0-9_-]{24}\.[A-Za-z0-9_-]+$/);
  });

  it('a sealed cookie cut before its dot opens nothing: a new session, and the store is not asked', async () => {
    const store = new CountingStore();
    const { client } = await start({ ...base, store, saveUninitialized: true });
    const r = await client.get('/get');
    const value = cookieNamed(r, 'connect.sid')?.value ?? '';
    const id = json<Snapshot>(r).sessionID as string;
    const dot = value.indexOf('.');
    const flipped = value[dot + 1] === 'A' ? 'B' : 'A';
    for (const bad of [value.slice(0, dot - 3) + value.slice(dot), value.slice(0, dot), value.slice(0, dot + 1) + flipped + value.slice(dot + 2)]) {
      store.calls.length = 0;
      const r2 = await client.get('/get', { headers: { cookie: `connect.sid=${bad}` } });
      expect(json<Snapshot>(r2).sessionID).not.toBe(id);
      expect(store.calls).not.toContain('get');
    }
  });

  it('an undotted token (what versions before the dot wrote) still opens, and is replaced by the dotted cookie', async () => {
    const { client } = await start({ ...base, saveUninitialized: true });
    const r = await client.get('/set?a=1');
    const value = cookieNamed(r, 'connect.sid')?.value ?? '';
    const id = json<Snapshot>(r).sessionID as string;
    const r2 = await client.get('/get', { headers: { cookie: `connect.sid=${value.replace('.', '')}` } });
    expect(json<Snapshot>(r2).sessionID).toBe(id);
    expect(json<Snapshot>(r2).data.a).toBe('1');
    const replaced = cookieNamed(r2, 'connect.sid')?.value ?? '';
    expect(replaced).toMatch(/^[A-Za-z0-9_-]{24}\.[A-Za-z0-9_-]+$/);
    // The dotted cookie as sent is sent back unchanged (no new cookie unless something asks for one).
    const r3 = await client.get('/get', { headers: { cookie: `connect.sid=${replaced}` } });
    expect(json<Snapshot>(r3).sessionID).toBe(id);
  });

  it('name sets the cookie name', async () => {
    const { client } = await start({ ...base, name: 'app.sid' });
    const r = await client.get('/set?a=1');
    expect(cookieNamed(r, 'app.sid')).toBeDefined();
    expect(cookieNamed(r, 'connect.sid')).toBeUndefined();
    expect(json<Snapshot>(await client.get('/get')).data.a).toBe('1');
  });

  it('genid(req) makes the IDs; the store is keyed by the raw ID', async () => {
    const store = new CountingStore();
    let n = 0;
    const { client } = await start({ ...base, store, genid: (req) => `custom-${++n}-${req.method}` });
    const r = await client.get('/set?a=1');
    expect(json<Snapshot>(r).sessionID).toBe('custom-1-GET');
    expect(store.record('custom-1-GET')).toMatchObject({ a: '1' });
  });

  it('rejects bad options as express-session does', () => {
    expect(() => session({ ...base, genid: 'x' as never })).toThrow(TypeError);
    expect(() => session({ ...base, unset: 'never' as never })).toThrow(TypeError);
    expect(() => session({ ...base, secret: [] })).toThrow(TypeError);
  });
});

describe('saveUninitialized, resave, rolling', () => {
  it('saveUninitialized false: an untouched new session sends no cookie and writes nothing; a change does both', async () => {
    const store = new CountingStore();
    const { client } = await start({ ...base, store });
    const r = await client.get('/get');
    expect(r.setCookies).toEqual([]);
    expect(store.calls).toEqual([]);
    const r2 = await client.get('/set?user=ada');
    expect(cookieNamed(r2, 'connect.sid')).toBeDefined();
    const id = json<Snapshot>(r2).sessionID as string;
    expect(store.record(id)).toMatchObject({ user: 'ada' });
  });

  it('resave false: an unchanged returning session is not written (touch instead); a change is', async () => {
    const store = new CountingStore();
    const { client } = await start({ ...base, store, cookie: { maxAge: 60_000 } });
    await client.get('/set?a=1');
    store.calls.length = 0;
    const r = await client.get('/get');
    expect(store.calls).toEqual(['get', 'touch']);
    // Unmodified, maxAge set, not rolling: no new cookie.
    expect(r.setCookies).toEqual([]);
    store.calls.length = 0;
    const r2 = await client.get('/set?a=2');
    expect(store.calls).toEqual(['get', 'set']);
    expect(cookieNamed(r2, 'connect.sid')).toBeDefined();
    expect(json<Snapshot>(await client.get('/get')).data.a).toBe('2');
  });

  it('rolling: every response re-sends the cookie with a fresh expiry', async () => {
    const { client } = await start({ ...base, rolling: true, cookie: { maxAge: 60_000 } });
    await client.get('/set?a=1');
    const r = await client.get('/get');
    const c = cookieNamed(r, 'connect.sid');
    expect(c).toBeDefined();
    expect(Math.abs((c?.expires?.getTime() ?? 0) - (Date.now() + 60_000))).toBeLessThan(10_000);
  });

  it('without rolling and with no maxAge, a returning session never re-sends the cookie', async () => {
    const { client } = await start(base);
    await client.get('/set?a=1');
    expect((await client.get('/set?a=2')).setCookies).toEqual([]);
  });

  it('nothing is written for untouched sessions when both are false, even when they come back', async () => {
    const store = new CountingStore();
    const { client } = await start({ ...base, store });
    for (let i = 0; i < 3; i++) await client.get('/noop');
    expect(store.calls).toEqual([]);
    expect(Object.keys(store.sessions)).toEqual([]);
  });
});

describe('cookie options', () => {
  it('maxAge, path, domain, httpOnly false, sameSite, partitioned, priority', async () => {
    const { client } = await start({
      ...base,
      cookie: { maxAge: 5_000, path: '/', domain: '127.0.0.1', httpOnly: false, sameSite: 'strict', partitioned: true, priority: 'high', secure: false },
    });
    const r = await client.get('/set?a=1');
    const line = r.setCookies.find((l) => l.startsWith('connect.sid=')) ?? '';
    expect(line).toMatch(/; Domain=127\.0\.0\.1/);
    expect(line).toMatch(/; Path=\//);
    expect(line).not.toMatch(/HttpOnly/i);
    expect(line).toMatch(/; SameSite=Strict/);
    expect(line).toMatch(/; Partitioned/);
    expect(line).toMatch(/; Priority=High/);
    const c = cookieNamed(r, 'connect.sid');
    expect(Math.abs((c?.expires?.getTime() ?? 0) - (Date.now() + 5_000))).toBeLessThan(5_000);
  });

  it('a path the request is outside of: no session at all', async () => {
    const { client } = await start({ ...base, cookie: { path: '/admin' } });
    const snap = json<Snapshot>(await client.get('/get'));
    expect(snap.has).toBe(false);
  });

  it('cookie as a function of the request', async () => {
    const { client } = await start({ ...base, cookie: (req) => ({ maxAge: req.url?.includes('long') ? 600_000 : 1_000 }) });
    const snap = json<Snapshot>(await client.get('/set?long=1'));
    // read back from expires, as express-session does: a millisecond may pass in between
    expect(snap.cookie?.originalMaxAge).toBeGreaterThan(599000);
    expect(snap.cookie?.originalMaxAge).toBeLessThanOrEqual(600_000);
  });

  it('secure: true over plain HTTP sends no cookie (the session is still saved)', async () => {
    const store = new CountingStore();
    const { client } = await start({ ...base, store, cookie: { secure: true } });
    const r = await client.get('/set?a=1');
    expect(r.setCookies).toEqual([]);
    expect(Object.keys(store.sessions)).toHaveLength(1);
  });

  it("secure 'auto' and sameSite 'auto' with proxy: true follow X-Forwarded-Proto", async () => {
    const { server } = await start({ ...base, proxy: true, cookie: { secure: 'auto', sameSite: 'auto' } });
    const https = await rawRequest(server.url, '/set?a=1', { headers: { 'x-forwarded-proto': 'https' } });
    const line = https.setCookies[0] ?? '';
    expect(line).toMatch(/; Secure/);
    expect(line).toMatch(/; SameSite=None/);
    const http = await rawRequest(server.url, '/set?a=1', { headers: {} });
    expect(http.setCookies[0]).not.toMatch(/; Secure/);
    expect(http.setCookies[0]).toMatch(/; SameSite=Lax/);
  });

  it("proxy: false ignores X-Forwarded-Proto (secure 'auto' is not Secure)", async () => {
    const { server } = await start({ ...base, proxy: false, cookie: { secure: 'auto' } });
    const r = await rawRequest(server.url, '/set?a=1', { headers: { 'x-forwarded-proto': 'https' } });
    expect(r.setCookies[0]).not.toMatch(/; Secure/);
  });
});

describe('req.session', () => {
  it('plain properties: set, delete, Object.keys and for…in (methods and id not enumerable); id is req.sessionID', async () => {
    const { client } = await start(base);
    await client.get('/set?user=ada&role=admin');
    let snap = json<Snapshot>(await client.get('/get'));
    expect(snap.data).toMatchObject({ user: 'ada', role: 'admin' });
    expect(snap.keys.sort()).toEqual(['cookie', 'role', 'user']);
    expect(snap.forIn.sort()).toEqual(['cookie', 'role', 'user']);
    expect(snap.id).toBe(snap.sessionID);
    await client.get('/delete?k=role');
    snap = json<Snapshot>(await client.get('/get'));
    expect(snap.keys.sort()).toEqual(['cookie', 'user']);
  });

  it('cookie.maxAge is the remaining time and settable; originalMaxAge stays what was set', async () => {
    const { client } = await start({ ...base, cookie: { maxAge: 60_000 } });
    const first = json<Snapshot>(await client.get('/set?a=1'));
    // read back from expires, as express-session does: a millisecond may pass in between
    expect(first.cookie?.originalMaxAge).toBeGreaterThan(59000);
    expect(first.cookie?.originalMaxAge).toBeLessThanOrEqual(60_000);
    expect(first.cookie?.maxAge).toBeGreaterThan(50_000);
    expect(first.cookie?.maxAge).toBeLessThanOrEqual(60_000);
    const r = await client.get('/maxage?ms=5000');
    const c = cookieNamed(r, 'connect.sid');
    expect(Math.abs((c?.expires?.getTime() ?? 0) - (Date.now() + 5_000))).toBeLessThan(4_000);
  });

  it("store records have express-session's shape, keyed by the raw ID", async () => {
    const store = new CountingStore();
    const { client } = await start({ ...base, store, cookie: { maxAge: 60_000 } });
    const id = json<Snapshot>(await client.get('/set?user=ada')).sessionID as string;
    const rec = store.record(id) as { cookie: Record<string, unknown>; user: string };
    expect(rec.user).toBe('ada');
    // read back from expires, as express-session does: a millisecond may pass in between
    expect(rec.cookie.originalMaxAge).toBeGreaterThan(59000);
    expect(rec.cookie.originalMaxAge).toBeLessThanOrEqual(60_000);
    expect(typeof rec.cookie.expires).toBe('string');
    expect(rec.cookie.httpOnly).toBe(true);
    expect(rec.cookie.path).toBe('/');
  });

  it('regenerate: a new ID and cookie, the old record gone, the old cookie no longer opens it', async () => {
    const store = new CountingStore();
    const { client } = await start({ ...base, store });
    const before = json<Snapshot>(await client.get('/set?user=ada'));
    const oldCookie = await client.cookie('connect.sid');
    const r = await client.get('/regenerate');
    const after = json<Snapshot>(r);
    expect(after.sessionID).not.toBe(before.sessionID);
    expect(after.data.user).toBeUndefined();
    expect(after.data.fresh).toBe('yes');
    expect(cookieNamed(r, 'connect.sid')).toBeDefined();
    expect(store.record(before.sessionID as string)).toBeUndefined();
    expect(store.record(after.sessionID as string)).toMatchObject({ fresh: 'yes' });
    const old = new Client(client.base);
    await old.setCookie('connect.sid', oldCookie as string);
    expect(json<Snapshot>(await old.get('/get')).data.user).toBeUndefined();
  });

  it('destroy: the record is removed, req.session is gone; the next request is a new session', async () => {
    const store = new CountingStore();
    const { client } = await start({ ...base, store });
    const id = json<Snapshot>(await client.get('/set?user=ada')).sessionID as string;
    const snap = json<Snapshot>(await client.get('/destroy'));
    expect(snap.has).toBe(false);
    expect(store.record(id)).toBeUndefined();
    const next = json<Snapshot>(await client.get('/get'));
    expect(next.data.user).toBeUndefined();
    expect(next.sessionID).not.toBe(id);
  });

  it('reload: picks up what another request wrote to the store meanwhile', async () => {
    const store = new CountingStore();
    const { client } = await start({ ...base, store });
    const id = json<Snapshot>(await client.get('/set?v=1')).sessionID as string;
    const rec = store.record(id) as Record<string, unknown>;
    store.sessions[id] = JSON.stringify({ ...rec, v: 'changed elsewhere' });
    expect(json<Snapshot>(await client.get('/reload')).data.v).toBe('changed elsewhere');
  });

  it('save(cb): the record is written before the callback runs', async () => {
    const store = new CountingStore();
    let inCallback: unknown;
    const { client } = await start({ ...base, store }, (app) =>
      app.get('/save-check', (req, res, next) => {
        const s = (req as unknown as { session: Record<string, unknown> & { save(cb: (e?: unknown) => void): void } }).session;
        s.k = 'v';
        s.save((err) => {
          if (err) return next(err);
          inCallback = store.record((req as unknown as { sessionID: string }).sessionID);
          res.end('saved');
        });
      }),
    );
    await client.get('/save-check');
    expect(inCallback).toMatchObject({ k: 'v' });
  });

  it('touch() resets cookie.maxAge to originalMaxAge', async () => {
    const { client } = await start({ ...base, cookie: { maxAge: 60_000 } });
    await client.get('/set?a=1');
    await sleep(120);
    const t = json<{ before: number; after: number; original: number }>(await client.get('/touch'));
    expect(t.original).toBeGreaterThan(59_000); // stored as read back from expires (may be 59,999)
    expect(t.original).toBeLessThanOrEqual(60_000);
    expect(t.before).toBeLessThanOrEqual(60_000 - 100);
    expect(t.after).toBeGreaterThan(t.before);
    expect(t.after).toBeLessThanOrEqual(60_000);
  });

  it('req.session = null: unset keep leaves the record, unset destroy removes it', async () => {
    for (const unset of ['keep', 'destroy'] as const) {
      const store = new CountingStore();
      const { client } = await start({ ...base, store, unset });
      const id = json<Snapshot>(await client.get('/set?a=1')).sessionID as string;
      await client.get('/null');
      if (unset === 'keep') expect(store.record(id)).toMatchObject({ a: '1' });
      else expect(store.record(id)).toBeUndefined();
    }
  });
});

describe('what stays ours', () => {
  it('the session is in the store when the response arrives (saved before the headers), even with a slow store', async () => {
    class SlowStore extends CountingStore {
      override set(sid: string, s: object, cb?: (err?: unknown) => void): void {
        setTimeout(() => super.set(sid, s, cb), 150);
      }
    }
    const store = new SlowStore();
    const { client } = await start({ ...base, store });
    const id = json<Snapshot>(await client.get('/set?user=ada')).sessionID as string;
    expect(store.record(id)).toMatchObject({ user: 'ada' });
  });

  it("a handler's own writeHead with Set-Cookie keeps both cookies", async () => {
    const { client } = await start(base);
    const r = await client.get('/own-cookie');
    expect(cookieNamed(r, 'theirs')?.value).toBe('1');
    expect(cookieNamed(r, 'connect.sid')).toBeDefined();
    expect(json<Snapshot>(await client.get('/get')).data.own).toBe(1);
  });

  it('a raw header list given to writeHead with two Set-Cookie keeps all three cookies', async () => {
    const { client } = await start(base);
    const r = await client.get('/own-cookie-raw');
    expect(cookieNamed(r, 'a')?.value).toBe('1');
    expect(cookieNamed(r, 'b')?.value).toBe('2');
    expect(cookieNamed(r, 'connect.sid')).toBeDefined();
  });

  it('a streamed response (write, then end later) still saves', async () => {
    const { client } = await start(base);
    expect((await client.get('/stream')).body).toBe('ab');
    expect(json<Snapshot>(await client.get('/get')).data.streamed).toBe(true);
  });

  it('a tampered, unsigned or badly signed cookie is a fresh session', async () => {
    const { client, server } = await start(base);
    await client.get('/set?user=ada');
    const good = (await client.cookie('connect.sid')) as string;
    const bad = [good.slice(0, -2) + (good.endsWith('A') ? 'BB' : 'AA'), 'plain-unsigned-id', 's:someid.badsignature', 's:', ''];
    for (const value of bad) {
      const r = await rawRequest(server.url, '/get', { headers: { cookie: `connect.sid=${encodeURIComponent(value)}` } });
      expect(r.status).toBe(200);
      expect(json<Snapshot>(r).data.user).toBeUndefined();
    }
  });

  it('secret rotation: a cookie sealed under an older secret opens and is re-sealed under the first', async () => {
    const store = new MemoryStore();
    const old = await start({ ...base, store, secret: 'the old secret, long enough for the codec ok' });
    await old.client.get('/set?user=ada');
    const cookie = (await old.client.cookie('connect.sid')) as string;
    const rotated = await start({ ...base, store, secret: ['the new secret, long enough for the codec ok', 'the old secret, long enough for the codec ok'] });
    await rotated.client.setCookie('connect.sid', cookie);
    const r = await rotated.client.get('/get');
    expect(json<Snapshot>(r).data.user).toBe('ada');
    const fresh = cookieNamed(r, 'connect.sid')?.value;
    expect(fresh).toBeDefined();
    expect(fresh).not.toBe(cookie);
    // The new cookie opens under the new secret alone.
    const only = await start({ ...base, store, secret: 'the new secret, long enough for the codec ok' });
    await only.client.setCookie('connect.sid', fresh as string);
    expect(json<Snapshot>(await only.client.get('/get')).data.user).toBe('ada');
  });

  it('a short secret is accepted with one warning that never shows the secret', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(w);
    };
    process.on('warning', onWarning);
    try {
      const { client } = await start({ ...base, secret: 'kitty-9' });
      await start({ ...base, secret: 'kitty-9' });
      await client.get('/set?a=1');
      expect(json<Snapshot>(await client.get('/get')).data.a).toBe('1');
      await sleep(20);
    } finally {
      process.off('warning', onWarning);
    }
    const mine = warnings.filter((w) => (w as { code?: string }).code === 'WASM_SESSION_SHORT_SECRET');
    // Once per process (each test file has its own module instance), however many middlewares.
    expect(mine).toHaveLength(1);
    for (const w of warnings) expect(`${w.message} ${w.stack ?? ''}`).not.toContain('kitty-9');
  });
});

describe('store errors and events', () => {
  class FailingStore extends CountingStore {
    fail: 'get' | 'set' | 'enoent' | 'hang' | null = null;
    override get(sid: string, cb: (err?: unknown, s?: Record<string, unknown> | null) => void): void {
      if (this.fail === 'get') return void setImmediate(cb, new Error('store get exploded'));
      if (this.fail === 'enoent') return void setImmediate(cb, Object.assign(new Error('no file'), { code: 'ENOENT' }));
      if (this.fail === 'hang') return;
      super.get(sid, cb);
    }
    override set(sid: string, s: object, cb?: (err?: unknown) => void): void {
      if (this.fail === 'set') return void setImmediate(() => cb?.(new Error('store set exploded')));
      if (this.fail === 'hang') return;
      super.set(sid, s, cb);
    }
  }

  it('a get error goes to next(err); ENOENT is a new session', async () => {
    const store = new FailingStore();
    const { client } = await start({ ...base, store });
    await client.get('/set?a=1');
    store.fail = 'get';
    const r = await client.get('/get');
    expect(r.status).toBe(500);
    expect(json<{ error: string }>(r).error).toBe('store get exploded');
    store.fail = 'enoent';
    const r2 = await client.get('/get');
    expect(r2.status).toBe(200);
    expect(json<Snapshot>(r2).data.a).toBeUndefined();
  });

  it("a failed save: as express-session, the app's response goes out, then the error reaches next(err)", async () => {
    const store = new FailingStore();
    store.fail = 'set';
    let reached!: (err: unknown) => void;
    const seen = new Promise<unknown>((resolve) => (reached = resolve));
    // The app's error handler comes after its routes: where the deferred next(err) lands.
    const app = express();
    app.use(session({ ...base, store }) as unknown as express.RequestHandler);
    app.get('/set', (req, res) => {
      (req as unknown as { session: Record<string, unknown> }).session.a = '1';
      res.json({ data: { a: '1' } });
    });
    app.use((err: unknown, _req: express.Request, res: express.Response, next: express.NextFunction) => {
      reached(err);
      if (res.headersSent) return;
      next(err);
    });
    const server = await listen(app as unknown as Parameters<typeof listen>[0]);
    servers.push(server);
    const client = new Client(server.url);
    const r = await client.get('/set?a=1');
    expect(r.status).toBe(200);
    expect(json<Snapshot>(r).data.a).toBe('1');
    expect(cookieNamed(r, 'connect.sid')).toBeDefined();
    expect((await seen) as Error).toHaveProperty('message', 'store set exploded');
  });

  it("holdOnStoreError: a failed save goes to next(err) before the headers: the app's 200 and the cookie do not go out", async () => {
    const store = new FailingStore();
    store.fail = 'set';
    const { client } = await start({ ...base, store, holdOnStoreError: true });
    const r = await client.get('/set?a=1');
    expect(r.status).toBe(500);
    expect(json<{ error: string }>(r).error).toBe('store set exploded');
    expect(cookieNamed(r, 'connect.sid')).toBeUndefined();
  });

  it('a store that never answers is an error after `timeout`, not a hung request', async () => {
    const store = new FailingStore();
    const { client } = await start({ ...base, store, timeout: 300 });
    await client.get('/set?a=1');
    store.fail = 'hang';
    const r = await client.get('/get');
    expect(r.status).toBe(500);
    expect(json<{ code: string }>(r).code).toBe('ERR_STORE_UNAVAILABLE');
  });

  it("'disconnect' serves requests without a session until 'connect'", async () => {
    const store = new CountingStore();
    const { client } = await start({ ...base, store });
    await client.get('/set?a=1');
    store.emit('disconnect');
    expect(json<Snapshot>(await client.get('/get')).has).toBe(false);
    store.emit('connect');
    expect(json<Snapshot>(await client.get('/get')).data.a).toBe('1');
  });
});
