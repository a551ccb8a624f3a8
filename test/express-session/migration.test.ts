/**
 * Migration with nobody logged out: sessions created by the real
 * express-session (s:-signed cookies) continue under the compat entry after
 * one request, and the old cookie is replaced by a sealed one.
 */
import { RedisStore } from 'connect-redis';
import realSession from 'express-session';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import session, { type SessionOptions } from '../../src/express-session/index.js';
import { Client, cookieNamed, json, rawRequest, type TestServer } from '../helpers/http.js';
import { sessionApp, type Middleware, type Snapshot } from './app.js';
import { connectRedisFixture } from './stores.js';

const OLD_SECRET = 'keyboard cat';
const redis = connectRedisFixture('mig:');
const servers: TestServer[] = [];
beforeAll(() => redis.setup());
afterAll(() => redis.teardown());
afterEach(async () => {
  while (servers.length) await servers.pop()?.close();
});

const store = (): RedisStore => new RedisStore({ client: redis.client(), prefix: 'mig:' });

async function legacyApp(secret: string | string[] = OLD_SECRET, s: object = store()): Promise<TestServer> {
  const server = await sessionApp(
    realSession({ secret, store: s as realSession.Store, resave: false, saveUninitialized: false, cookie: { maxAge: 600_000 } }) as unknown as Middleware,
  );
  servers.push(server);
  return server;
}

async function compatApp(options: Partial<SessionOptions> = {}, s: object = store()): Promise<TestServer> {
  const server = await sessionApp(
    session({ secret: OLD_SECRET, store: s as SessionOptions['store'], resave: false, saveUninitialized: false, cookie: { maxAge: 600_000 }, ...options }) as unknown as Middleware,
  );
  servers.push(server);
  return server;
}

/** Logs in on the real express-session: the client holds an s: cookie. */
async function legacyLogin(c: Client): Promise<{ cookie: string; id: string }> {
  const r = await c.get('/set?user=ada');
  const id = json<Snapshot>(r).sessionID as string;
  await c.get('/incr');
  const cookie = (await c.cookie('connect.sid')) as string;
  expect(decodeURIComponent(cookie).startsWith('s:')).toBe(true);
  return { cookie, id };
}

describe('express-session → wasm-session/express-session', () => {
  it('the session continues, the s: cookie is replaced after one request, the next request uses only the new cookie', async () => {
    const legacy = await legacyApp();
    const c = new Client(legacy.url);
    const { cookie, id } = await legacyLogin(c);

    const compat = await compatApp();
    const c2 = new Client(compat.url);
    await c2.setCookie('connect.sid', cookie);
    const r = await c2.get('/get');
    const snap = json<Snapshot>(r);
    expect(snap.sessionID).toBe(id);
    expect(snap.data).toMatchObject({ user: 'ada', n: 1 });
    const sealed = cookieNamed(r, 'connect.sid');
    expect(sealed).toBeDefined();
    expect(decodeURIComponent(sealed?.value ?? '').startsWith('s:')).toBe(false);
    // The replacement keeps the session's expiry.
    expect(Math.abs((sealed?.expires?.getTime() ?? 0) - (Date.now() + 600_000))).toBeLessThan(60_000);

    // Only the new cookie from now on: the same session, and no further replacement.
    const next = await rawRequest(compat.url, '/incr', { headers: { cookie: `connect.sid=${sealed?.value}` } });
    expect(next.body).toBe('2');
    const again = await rawRequest(compat.url, '/get', { headers: { cookie: `connect.sid=${sealed?.value}` } });
    expect(json<Snapshot>(again).sessionID).toBe(id);
    expect(again.setCookies).toEqual([]);
  });

  it("express-session's own MemoryStore, shared: the same records", async () => {
    const shared = new realSession.MemoryStore();
    const legacy = await legacyApp(OLD_SECRET, shared);
    const c = new Client(legacy.url);
    const { cookie, id } = await legacyLogin(c);
    const compat = await compatApp({}, shared);
    const c2 = new Client(compat.url);
    await c2.setCookie('connect.sid', cookie);
    const snap = json<Snapshot>(await c2.get('/incr').then(() => c2.get('/get')));
    expect(snap.sessionID).toBe(id);
    expect(snap.data).toMatchObject({ user: 'ada', n: 2 });
    expect(decodeURIComponent((await c2.cookie('connect.sid')) ?? '').startsWith('s:')).toBe(false);
  });

  it('each secret of the list checks legacy cookies (rotation done on the old side too)', async () => {
    const legacy = await legacyApp(OLD_SECRET);
    const { cookie } = await legacyLogin(new Client(legacy.url));
    const compat = await compatApp({ secret: ['a brand new secret that is long enough!!', OLD_SECRET] });
    const r = await rawRequest(compat.url, '/get', { headers: { cookie: `connect.sid=${cookie}` } });
    expect(json<Snapshot>(r).data.user).toBe('ada');
    expect(r.setCookies).toHaveLength(1);
  });

  it('a Buffer secret works on both sides', async () => {
    const secret = Buffer.from('0123456789abcdef0123456789abcdef', 'hex');
    const legacy = await sessionApp(
      realSession({ secret: secret as unknown as string, store: store(), resave: false, saveUninitialized: false }) as unknown as Middleware,
    );
    servers.push(legacy);
    const { cookie } = await legacyLogin(new Client(legacy.url));
    const compat = await compatApp({ secret });
    const r = await rawRequest(compat.url, '/get', { headers: { cookie: `connect.sid=${cookie}` } });
    expect(json<Snapshot>(r).data.user).toBe('ada');
    const sealed = cookieNamed(r, 'connect.sid')?.value as string;
    const again = await rawRequest(compat.url, '/get', { headers: { cookie: `connect.sid=${sealed}` } });
    expect(json<Snapshot>(again).data.user).toBe('ada');
  });

  it('badly signed, unsigned or other-secret legacy cookies are a fresh session', async () => {
    const legacy = await legacyApp();
    const { cookie, id } = await legacyLogin(new Client(legacy.url));
    const compat = await compatApp({ secret: 'another secret entirely, long enough' });
    const raw = decodeURIComponent(cookie);
    const tampered = raw.slice(0, -3) + (raw.endsWith('AAA') ? 'BBB' : 'AAA');
    for (const value of [cookie, encodeURIComponent(tampered), id, `s:${id}`]) {
      const r = await rawRequest(compat.url, '/get', { headers: { cookie: `connect.sid=${value}` } });
      expect(r.status).toBe(200);
      expect(json<Snapshot>(r).data.user).toBeUndefined();
    }
    // And with the right secret but a tampered signature.
    const right = await compatApp();
    const r = await rawRequest(right.url, '/get', { headers: { cookie: `connect.sid=${encodeURIComponent(tampered)}` } });
    expect(json<Snapshot>(r).data.user).toBeUndefined();
  });

  it('legacyCookies: false ignores s: cookies', async () => {
    const legacy = await legacyApp();
    const { cookie } = await legacyLogin(new Client(legacy.url));
    const compat = await compatApp({ legacyCookies: false });
    const r = await rawRequest(compat.url, '/get', { headers: { cookie: `connect.sid=${cookie}` } });
    expect(json<Snapshot>(r).data.user).toBeUndefined();
  });
});
