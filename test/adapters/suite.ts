/**
 * The adapter suite: one framework app (from `makeApp`) on a real server on
 * 127.0.0.1:0, driven over real HTTP by a fetch + cookie-jar client.
 *
 * Every app answers JSON `AppState` on GET /count, /peek, /auto, /own and
 * POST /login, /logout (parameters in the query string), sets the cookie
 * `theme=dark` its framework's way on /own, and turns a failing store into a
 * 5xx through the framework's error handling.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session } from '../../src/session/session.js';
import { CookieProvider } from '../../src/providers/cookie/provider.js';
import { MemoryProvider } from '../../src/providers/memory/provider.js';
import type { Provider } from '../../src/providers/provider.js';
import { SessionError, StoreUnavailableError } from '../../src/errors.js';
import { Client, cookieNamed, cookiesNamed, json, rawRequest, type TestResponse } from '../helpers/http.js';
import type { AppState, Remembered } from './logic.js';

export const SECRET = 'adapter-suite-secret-0123456789-abcdefgh';
const NEW_SECRET = 'adapter-suite-rotated-secret-0123456789-xyz';

export interface RunningApp {
  url: string;
  close(): Promise<void>;
}

export type MakeApp = (session: Session, remembered: Remembered) => Promise<RunningApp>;

/** `server` (a framework's `listen(0, '127.0.0.1')`) once it listens, and a close that drops kept-alive connections. */
export async function running(server: Server): Promise<RunningApp> {
  if (!server.listening) await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A memory provider whose `failing` method always rejects (a store outage: at start for `restore`, at the first save for `new`). */
export function failingProvider(failing: 'new' | 'restore'): Provider {
  const inner = new MemoryProvider();
  const down = (): Promise<never> => Promise.reject(new StoreUnavailableError('store down (test)'));
  return {
    new: failing === 'new' ? down : (sid, initial) => inner.new(sid, initial),
    restore: failing === 'restore' ? down : (sid, o) => inner.restore(sid, o),
    refresh: (a, b) => inner.refresh(a, b),
    destroy: (sid) => inner.destroy(sid),
  };
}

/** A valid token with one character changed (still base64url). */
function tamper(token: string): string {
  const i = Math.floor(token.length / 2);
  return token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
}

/**
 * Which provider the suite runs on: `memory` (a MemoryProvider shared by the
 * suite's Sessions), or `cookie` (a CookieProvider per Session, revoking into
 * one shared MemoryProvider, so replayed cookies of refreshed or destroyed
 * sessions are refused as with a store).
 */
export type SuiteProvider = 'memory' | 'cookie';

/** Every cookie a client holds, as a Cookie header (what a replay sends). */
function cookieHeader(c: Client): Promise<string> {
  return c.jar.getCookieString(c.base);
}

/** Copies every cookie of `from` into `to` (a browser moving to another server of the same site). */
async function copyCookies(from: Client, to: Client): Promise<void> {
  for (const cookie of await from.jar.getCookies(from.base)) await to.setCookie(cookie.key, cookie.value);
}

export function adapterSuite(label: string, makeApp: MakeApp, kind: SuiteProvider = 'memory'): void {
  describe(`adapter: ${label}${kind === 'cookie' ? ' + CookieProvider' : ''}`, () => {
    let app: RunningApp;
    let session: Session;
    let provider: MemoryProvider;
    /** The provider for one more Session of the suite (sharing the suite's store). */
    const providerFor = (): Provider => (kind === 'memory' ? provider : new CookieProvider({ revocation: provider }));
    const remembered: Remembered = new Map();
    const client = (): Client => new Client(app.url);
    const body = (res: TestResponse): AppState => {
      expect(res.status, res.body).toBe(200);
      return json<AppState>(res);
    };

    beforeAll(async () => {
      provider = new MemoryProvider();
      session = new Session(providerFor(), { cookieSecret: SECRET, backend: 'js' });
      app = await makeApp(session, remembered);
    });
    afterAll(async () => {
      await app?.close();
      session?.dispose();
    });

    it('creates a session on the first change (HttpOnly cookie), restores and changes it', async () => {
      const c = client();
      const first = await c.get('/count');
      const s1 = body(first);
      expect(s1).toMatchObject({ count: 1, isNew: true, reason: 'absent' });
      const line = cookieNamed(first, 'sid');
      expect(line?.httpOnly).toBe(true);
      expect(String(line?.sameSite).toLowerCase()).toBe('lax');
      const second = await c.get('/count');
      expect(body(second)).toMatchObject({ count: 2, isNew: false, reason: null, sid: s1.sid });
      // Restored and changed: same ID, same cookie, no new Set-Cookie needed.
      expect(cookiesNamed(second, 'sid')).toHaveLength(0);
    });

    it('sends no cookie for an untouched new session (lazy creation)', async () => {
      const res = await client().get('/peek');
      expect(body(res)).toMatchObject({ isNew: true, saved: false });
      expect(res.setCookies).toEqual([]);
    });

    it('refresh (login) gives a new ID, keeps the data, and the old cookie stops working', async () => {
      const c = client();
      const before = body(await c.get('/count'));
      const oldCookies = await cookieHeader(c);
      const login = await c.request('/login?user=bob', { method: 'POST' });
      const after = body(login);
      expect(after).toMatchObject({ user: 'bob', count: 1 });
      expect(after.sid).not.toBe(before.sid);
      expect(cookiesNamed(login, 'sid')).toHaveLength(1);
      expect(body(await c.get('/peek'))).toMatchObject({ user: 'bob', count: 1, isNew: false, sid: after.sid });
      const stale = body(await rawRequest(app.url, '/peek', { headers: { cookie: oldCookies } }));
      expect(stale).toMatchObject({ isNew: true, reason: 'unknown', user: null });
    });

    it('destroy (logout) expires the cookie and removes the session from the store', async () => {
      const c = client();
      await c.request('/login?user=carol', { method: 'POST' });
      const cookies = await cookieHeader(c);
      const out = await c.request('/logout', { method: 'POST' });
      const after = body(out);
      expect(after).toMatchObject({ user: null, count: 0, isNew: true });
      const expired = cookieNamed(out, 'sid');
      expect(expired?.value).toBe('');
      expect(expired?.maxAge).toBe(0);
      expect(await c.cookie('sid')).toBeUndefined();
      expect(body(await c.get('/peek'))).toMatchObject({ user: null, isNew: true, reason: 'absent' });
      if (kind === 'cookie') {
        // Every value cookie is expired too.
        for (const line of out.setCookies.filter((l) => l.startsWith('sid.data'))) expect(line).toMatch(/Max-Age=0/);
        expect(await c.cookie('sid.data')).toBeUndefined();
      }
      const replay = body(await rawRequest(app.url, '/peek', { headers: { cookie: cookies } }));
      expect(replay).toMatchObject({ isNew: true, reason: 'unknown', user: null });
    });

    it('remember-me logs a returning visitor back in, and logout forgets it', async () => {
      const c = client();
      const login = await c.request('/login?user=dave&remember=1', { method: 'POST' });
      const rememberLine = cookieNamed(login, 'sid_remember');
      expect(rememberLine?.httpOnly).toBe(true);
      expect(rememberLine?.maxAge).toBeGreaterThan(0);
      // "Browser restarted": only the remember-me cookie is left.
      const back = new Client(app.url);
      await back.setCookie('sid_remember', (await c.cookie('sid_remember')) ?? '');
      const auto = await back.get('/auto');
      expect(body(auto)).toMatchObject({ user: 'dave', isNew: true });
      expect(cookiesNamed(auto, 'sid')).toHaveLength(1);
      expect(body(await back.get('/peek'))).toMatchObject({ user: 'dave', isNew: false });
      const out = await back.request('/logout', { method: 'POST' });
      expect(cookieNamed(out, 'sid_remember')?.maxAge).toBe(0);
      expect(await back.cookie('sid_remember')).toBeUndefined();
      // The psk was dropped server-side too: the old remember cookie no longer logs in.
      const again = new Client(app.url);
      await again.setCookie('sid_remember', (await c.cookie('sid_remember')) ?? '');
      expect(body(await again.get('/auto'))).toMatchObject({ user: null });
    });

    it('a tampered or foreign cookie gives a fresh session, not an error', async () => {
      const c = client();
      body(await c.get('/count'));
      const token = (await c.cookie('sid')) ?? '';
      for (const bad of [tamper(token), 'garbage', token.slice(0, -3)]) {
        const res = await rawRequest(app.url, '/count', { headers: { cookie: `sid=${bad}` } });
        expect(body(res)).toMatchObject({ isNew: true, reason: 'invalid', count: 1 });
        expect(cookiesNamed(res, 'sid')).toHaveLength(1);
      }
      // The real cookie still works.
      expect(body(await c.get('/peek'))).toMatchObject({ isNew: false, count: 1 });
    });

    it("keeps the handler's own Set-Cookie next to the session's (lazy and eager cookie)", async () => {
      for (const path of ['/own', '/own?refresh=1']) {
        const c = client();
        const res = await c.get(path);
        expect(body(res)).toMatchObject({ count: 1 });
        expect(cookieNamed(res, 'theme')?.value).toBe('dark');
        expect(cookiesNamed(res, 'sid')).toHaveLength(1);
        expect(body(await c.get('/peek'))).toMatchObject({ count: 1, isNew: false });
      }
    });

    it('secret rotation: a cookie sealed under the old secret is restored and re-sealed under the new one', async () => {
      const c = client();
      const before = body(await c.get('/count'));
      const oldToken = (await c.cookie('sid')) ?? '';
      const oldValue = await c.cookie('sid.data');
      const rotated = new Session(providerFor(), { cookieSecret: [NEW_SECRET, SECRET], backend: 'js' });
      const next = await makeApp(rotated, new Map());
      try {
        const rc = new Client(next.url);
        await copyCookies(c, rc);
        const res = await rc.get('/peek');
        expect(body(res)).toMatchObject({ isNew: false, count: 1, sid: before.sid });
        const resealed = cookieNamed(res, 'sid')?.value;
        expect(resealed).toBeDefined();
        expect(resealed).not.toBe(oldToken);
        if (kind === 'cookie') {
          // The value cookie is re-sealed in the same response.
          const value = cookieNamed(res, 'sid.data')?.value;
          expect(value).toBeDefined();
          expect(value).not.toBe(oldValue);
        }
        // Only the new secret opens the new cookie(s).
        const onlyNew = new Session(providerFor(), { cookieSecret: NEW_SECRET, backend: 'js' });
        const check = await makeApp(onlyNew, new Map());
        try {
          const fresh = await rawRequest(check.url, '/peek', { headers: { cookie: await cookieHeader(rc) } });
          expect(body(fresh)).toMatchObject({ isNew: false, count: 1 });
        } finally {
          await check.close();
          onlyNew.dispose();
        }
      } finally {
        await next.close();
        rotated.dispose();
      }
    });

    it('a handler that throws after changing the session saves nothing (restored and new sessions)', async () => {
      const c = client();
      body(await c.get('/count'));
      const failed = await c.get('/boom');
      expect(failed.status).toBeGreaterThanOrEqual(500);
      expect(body(await c.get('/peek'))).toMatchObject({ count: 1, isNew: false });
      // A new session changed by a failing handler is not created: no cookie, no record.
      const fresh = client();
      const res = await fresh.get('/boom');
      expect(res.status).toBeGreaterThanOrEqual(500);
      expect(cookiesNamed(res, 'sid')).toHaveLength(0);
      expect(body(await fresh.get('/peek'))).toMatchObject({ isNew: true, count: 0 });
    });

    it('a store failure at start goes through the framework error handling', async () => {
      // With cookies, the store that fails is the revocation store.
      const failingStore = kind === 'memory' ? failingProvider('restore') : new CookieProvider({ revocation: failingProvider('restore') });
      const failing = new Session(failingStore, { cookieSecret: SECRET, backend: 'js' });
      const errors: string[] = [];
      failing.on('error', (e) => errors.push((e.error as SessionError).code));
      const bad = await makeApp(failing, new Map());
      try {
        // A valid cookie (same secret), so the manager asks the failing store.
        const good = client();
        body(await good.get('/count'));
        const res = await rawRequest(bad.url, '/peek', { headers: { cookie: await cookieHeader(good) } });
        expect(res.status).toBeGreaterThanOrEqual(500);
        expect(errors).toContain('ERR_STORE_UNAVAILABLE');
      } finally {
        await bad.close();
        failing.dispose();
      }
    });
  });
}
