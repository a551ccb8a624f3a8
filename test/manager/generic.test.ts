/** The manager over minimal request/response objects (no node:http): headers.cookie, getHeader/setHeader. */
import { parseSetCookie } from 'cookie';
import { describe, expect, it } from 'vitest';
import { HeadersSentError, InvalidValueError } from '../../src/errors.js';
import type { SessionResponse } from '../../src/manager/http.js';
import { Session } from '../../src/session/session.js';
import { MemoryProvider } from '../../src/providers/memory/provider.js';

const SECRET = 'generic-test-secret-0123456789-abcdefgh';

class FakeRes implements SessionResponse {
  headers = new Map<string, number | string | readonly string[]>();
  headersSent = false;
  getHeader(name: string): number | string | readonly string[] | undefined {
    return this.headers.get(name.toLowerCase());
  }
  setHeader(name: string, value: number | string | readonly string[]): this {
    this.headers.set(name.toLowerCase(), value);
    return this;
  }
  cookies(): string[] {
    const v = this.getHeader('set-cookie');
    return v === undefined ? [] : Array.isArray(v) ? [...(v as string[])] : [String(v)];
  }
  token(name = 'sid'): string | undefined {
    return this.cookies().map((l) => parseSetCookie(l)).find((c) => c.name === name)?.value;
  }
}

const req = (cookie?: string): { headers: { cookie?: string } } => ({ headers: cookie === undefined ? {} : { cookie } });

describe('manager over a minimal request/response', () => {
  it('start → change → explicit save sets the cookie; restore; refresh; destroy', async () => {
    const provider = new MemoryProvider();
    const session = new Session(provider, { cookieSecret: SECRET, backend: 'js' });

    const r1 = new FakeRes();
    const q1 = req();
    const s1 = await session.start(q1, r1);
    expect(s1.isNew()).toBe(true);
    expect(await session.start(q1, r1)).toBe(s1);
    s1.getValue().set('n', 1);
    expect(r1.cookies()).toEqual([]);
    await s1.save();
    const token = r1.token() as string;
    expect(token).toBeTruthy();
    expect(provider.size).toBe(1);

    const r2 = new FakeRes();
    const s2 = await session.start(req(`sid=${token}`), r2);
    expect(s2.isNew()).toBe(false);
    expect(s2.getValue().get('n')).toBe(1);
    expect(r2.cookies()).toEqual([]);

    const r3 = new FakeRes();
    r3.setHeader('Set-Cookie', 'other=1; Path=/');
    const q3 = req(`sid=${token}`);
    const s3 = await session.refresh(q3, r3);
    expect(s3.sessionID()).not.toBe(s2.sessionID());
    expect(r3.cookies()).toHaveLength(2);
    expect(r3.cookies()[0]).toBe('other=1; Path=/');
    // A second refresh in the same response replaces the session cookie only.
    await session.refresh(q3, r3);
    expect(r3.cookies()).toHaveLength(2);
    const newToken = r3.token() as string;

    const r4 = new FakeRes();
    await session.destroy(req(`sid=${newToken}`), r4);
    expect(parseSetCookie(r4.cookies()[0] as string)).toMatchObject({ name: 'sid', value: '', maxAge: 0 });
    expect(provider.size).toBe(0);
  });

  it('refuses to set cookies once headers are sent, with a typed error', async () => {
    const session = new Session(new MemoryProvider(), { cookieSecret: SECRET, backend: 'js' });
    const res = new FakeRes();
    const q = req();
    const store = await session.start(q, res);
    res.headersSent = true;
    await expect(session.refresh(q, res)).rejects.toBeInstanceOf(HeadersSentError);
    expect(() => session.newRemember(q, res, 'psk')).toThrow(HeadersSentError);
    store.getValue().set('k', 1);
    await expect(store.save()).rejects.toMatchObject({ code: 'ERR_HEADERS_SENT' });
  });

  it('remember-me over plain objects; psk must be a non-empty string', () => {
    const session = new Session(new MemoryProvider(), { cookieSecret: SECRET, backend: 'js', rememberName: 'rm' });
    const res = new FakeRes();
    session.newRemember(req(), res, 'user:7');
    const token = res.token('rm') as string;
    expect(session.startRemember(req(`rm=${token}`))).toBe('user:7');
    expect(session.startRemember(req(`rm=${token}x`))).toBeNull();
    expect(session.startRemember(req())).toBeNull();
    expect(() => session.newRemember(req(), res, '')).toThrow(InvalidValueError);
  });

  it('concurrent saves on one store run one at a time and lose nothing', async () => {
    const provider = new MemoryProvider();
    const session = new Session(provider, { cookieSecret: SECRET, backend: 'js' });
    const res = new FakeRes();
    const store = await session.start(req(), res);
    store.getValue().set('a', 1);
    const p1 = store.save();
    const p2 = store.save();
    await Promise.all([p1, p2]);
    store.getValue().set('b', 2);
    await store.save();
    const back = await provider.restore(store.sessionID());
    expect(back.getValue().toJSON()).toEqual({ a: 1, b: 2 });
  });

  it('memoizes per request, also for a frozen request object', async () => {
    const session = new Session(new MemoryProvider(), { cookieSecret: SECRET, backend: 'js' });
    const frozen = Object.freeze(req());
    const res = new FakeRes();
    const a = await session.start(frozen, res);
    expect(await session.start(frozen, res)).toBe(a);
    const [x, y] = await Promise.all([session.start(req(), res), session.start(frozen, res)]);
    expect(x).not.toBe(a);
    expect(y).toBe(a);
  });

  it('destroy after start in the same request: store entry gone, later start gives a new empty session', async () => {
    const provider = new MemoryProvider();
    const session = new Session(provider, { cookieSecret: SECRET, backend: 'js' });
    const r0 = new FakeRes();
    const s0 = await session.start(req(), r0);
    s0.getValue().set('user', 'ann');
    await s0.save();
    const cookie = `sid=${r0.token()}`;

    const q = req(cookie);
    const res = new FakeRes();
    const s1 = await session.start(q, res);
    expect(s1.getValue().get('user')).toBe('ann');
    s1.getValue().set('late', 1);
    await session.destroy(q, res);
    expect(provider.size).toBe(0);
    await s1.save(); // a destroyed store never writes again
    expect(provider.size).toBe(0);
    const s2 = await session.start(q, res);
    expect(s2).not.toBe(s1);
    expect(s2.isNew()).toBe(true);
    expect(s2.getValue().size).toBe(0);
    s2.getValue().set('fresh', true);
    await s2.save();
    // One Set-Cookie for sid: the new session's replaced the expiring one.
    expect(res.cookies()).toHaveLength(1);
    expect(res.token()).toBeTruthy();
    expect(provider.size).toBe(1);
  });
});
