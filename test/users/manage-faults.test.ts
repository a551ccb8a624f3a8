/** Bad input and failing stores around the user features: typed outcomes, no crash, no session handed out. */
import { afterEach, describe, expect, it } from 'vitest';
import { isSessionError } from '../../src/errors.js';
import { Session } from '../../src/session/session.js';
import { MemoryProvider } from '../../src/providers/memory/provider.js';
import type { Provider, RecordStore } from '../../src/providers/provider.js';
import { Client, json, listen, type TestServer } from '../helpers/http.js';
import { dropCookie, manageApp } from './manage-app.js';
import { SECRET } from './manage-suite.js';

const servers: TestServer[] = [];
afterEach(async () => {
  while (servers.length) await servers.pop()!.close();
});

async function serve(provider: Provider, events: string[] = []): Promise<{ url: string; session: Session }> {
  const session = new Session(provider, { cookieSecret: SECRET, backend: 'node' });
  session.on('error', (e) => events.push(`error:${e.error.code}`));
  session.on('invalid', (e) => events.push(`invalid:${e.cookieName}`));
  const server = await listen(manageApp(session));
  servers.push(server);
  return { url: server.url, session };
}

/** A MemoryProvider whose records fail while `down` is set. */
function flakyRecords(): { provider: MemoryProvider; setDown(v: boolean): void } {
  const provider = new MemoryProvider();
  const real = provider.records;
  let down = false;
  const records: RecordStore = {
    get: (name) => (down ? Promise.reject(new Error('connection refused')) : real.get(name)),
    put: (name, text, version, ttl) => (down ? Promise.reject(new Error('connection refused')) : real.put(name, text, version, ttl)),
  };
  Object.defineProperty(provider, 'records', { value: records });
  return { provider, setDown: (v) => void (down = v) };
}

describe('user features: bad input and failing stores', () => {
  it('a store that fails during resume: a typed 503, no session, and the token still works once it is back', async () => {
    const events: string[] = [];
    const { provider, setDown } = flakyRecords();
    const { url } = await serve(provider, events);
    const c = new Client(url);
    expect((await c.get('/login?user=u1&remember')).status).toBe(200);
    await dropCookie(c, 'sid');
    setDown(true);
    const r = await c.get('/resume');
    expect(r.status).toBe(503);
    expect(json<{ error: string }>(r).error).toBe('ERR_STORE_UNAVAILABLE');
    expect(events).toContain('error:ERR_STORE_UNAVAILABLE');
    setDown(false);
    expect(json<{ resumed: boolean; userId: string }>(await c.get('/resume'))).toMatchObject({ resumed: true, userId: 'u1' });
  });

  it('a tampered remember-me cookie resumes nothing (invalid event); a psk cookie is not a token', async () => {
    const events: string[] = [];
    const { url, session } = await serve(new MemoryProvider(), events);
    const c = new Client(url);
    await c.get('/login?user=u2&remember');
    const token = (await c.cookie('sid_remember'))!;
    await dropCookie(c, 'sid');
    await c.setCookie('sid_remember', token.slice(0, -3) + (token.endsWith('AAA') ? 'BBB' : 'AAA'));
    expect(json<{ resumed: boolean; userId: string | null }>(await c.get('/resume'))).toMatchObject({ resumed: false, userId: null });
    expect(events).toContain('invalid:sid_remember');
    // The seed's psk cookie: resume leaves it alone, startRemember still reads it.
    const res = { headersSent: false, getHeader: () => undefined, setHeader: (_n: string, v: unknown) => void (line = String((v as string[])[0])) };
    let line = '';
    session.newRemember({ headers: {} }, res, 'app-psk-123');
    await c.setCookie('sid_remember', line.split(';')[0]!.slice('sid_remember='.length));
    expect(json<{ resumed: boolean }>(await c.get('/resume')).resumed).toBe(false);
    expect(session.startRemember({ headers: { cookie: line.split(';')[0]! } })).toBe('app-psk-123');
    // logout leaves the app's psk cookie alone (it is the app's to forget), as before.
    const psk = await c.cookie('sid_remember');
    await c.get('/logout');
    expect(await c.cookie('sid_remember')).toBe(psk);
  });

  it('remember and maxSessions need records; handles must be strings from userSessions', async () => {
    const bare = new MemoryProvider();
    Object.defineProperty(bare, 'records', { value: undefined });
    const s = new Session(bare, { cookieSecret: SECRET, backend: 'node' });
    const res = { headersSent: false, getHeader: () => undefined, setHeader: () => undefined };
    await expect(s.login({ headers: {} }, res, 'u3', { remember: true })).rejects.toMatchObject({ code: 'ERR_UNSUPPORTED' });
    // Plain login still works without records.
    expect((await s.login({ headers: {} }, res, 'u3')).userId()).toBe('u3');
    const m = new Session(new MemoryProvider(), { cookieSecret: SECRET, backend: 'node' });
    for (const bad of [undefined, 42, '', 'x'.repeat(5000), 'not-a-handle']) {
      const err = await m.revokeSession('u3', bad as string).catch((e: unknown) => e);
      expect(isSessionError(err, 'ERR_INVALID_HANDLE')).toBe(true);
    }
    expect(() => new Session(new MemoryProvider(), { cookieSecret: SECRET, maxSessions: { limit: 0, policy: 'evict' } })).toThrow(/maxSessions.limit/);
    expect(() => new Session(new MemoryProvider(), { cookieSecret: SECRET, maxSessions: { limit: 2, policy: 'drop' as 'evict' } })).toThrow(/maxSessions.policy/);
    expect(() => new Session(new MemoryProvider(), { cookieSecret: SECRET, rememberGrace: -1 })).toThrow(/rememberGrace/);
  });

  it('reauthenticated without a login is a typed error; authenticatedAt is null for an anonymous session', async () => {
    const s = new Session(new MemoryProvider(), { cookieSecret: SECRET, backend: 'node' });
    const res = { headersSent: false, getHeader: () => undefined, setHeader: () => undefined };
    await expect(s.reauthenticated({ headers: {} }, res)).rejects.toMatchObject({ code: 'ERR_INVALID_VALUE' });
    const store = await s.start({ headers: {} }, res);
    expect(store.authenticatedAt()).toBe(null);
    expect(store.isFresh(1e9)).toBe(false);
  });
});
