/** Cookie name prefixes, renewal options, and a provider without a user index. */
import { describe, expect, it } from 'vitest';
import { Session } from '../../src/session/session.js';
import type { SessionConfig } from '../../src/manager/config.js';
import { MemoryProvider } from '../../src/providers/memory/provider.js';
import { Value } from '../../src/manager/value.js';
import type { Provider, Storer } from '../../src/providers/provider.js';
import { Client, cookieNamed, listen } from '../helpers/http.js';
import { SECRET, fakeRes } from './suite.js';

function code(config: Partial<SessionConfig>): string | undefined {
  try {
    new Session(new MemoryProvider(), { cookieSecret: SECRET, backend: 'node', ...config });
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

describe('__Host- and __Secure- cookie names', () => {
  it('__Host- requires cookieSecure, cookiePath "/" and no cookieDomain', () => {
    expect(code({ cookieName: '__Host-sid' })).toBe('ERR_INVALID_CONFIG');
    expect(code({ cookieName: '__Host-sid', cookieSecure: true, cookiePath: '/app' })).toBe('ERR_INVALID_CONFIG');
    expect(code({ cookieName: '__Host-sid', cookieSecure: true, cookieDomain: 'example.com' })).toBe('ERR_INVALID_CONFIG');
    expect(code({ cookieName: '__Host-sid', cookieSecure: true })).toBeUndefined();
    expect(code({ cookieName: '__Host-sid', cookieSecure: true, cookiePath: '/' })).toBeUndefined();
  });

  it('__Secure- requires cookieSecure; the remember-me name is checked too', () => {
    expect(code({ cookieName: '__Secure-sid' })).toBe('ERR_INVALID_CONFIG');
    expect(code({ cookieName: '__Secure-sid', cookieSecure: true, cookieDomain: 'example.com', cookiePath: '/x' })).toBeUndefined();
    expect(code({ rememberName: '__Host-remember' })).toBe('ERR_INVALID_CONFIG');
    expect(code({ rememberName: '__Secure-remember', cookieSecure: true })).toBeUndefined();
  });

  it('a __Host-sid session works end to end and its cookie has the attributes the prefix needs', async () => {
    const session = new Session(new MemoryProvider(), { cookieSecret: SECRET, backend: 'node', cookieName: '__Host-sid', cookieSecure: true });
    const server = await listen(async (req, res) => {
      const store = await session.start(req, res);
      store.getValue().set('n', store.getValue().int('n') + 1);
      res.end(String(store.getValue().int('n')));
    });
    try {
      const res = await new Client(server.url).get('/');
      const c = cookieNamed(res, '__Host-sid');
      expect(c).toMatchObject({ path: '/', secure: true, httpOnly: true });
      expect(c?.domain).toBeUndefined();
    } finally {
      await server.close();
    }
  });
});

describe('renewal options', () => {
  it('defaults: renewAfter 0 (off), renewGrace 30; bad values are InvalidConfigError', () => {
    const s = new Session(new MemoryProvider(), { cookieSecret: SECRET, backend: 'node' });
    expect(s.config.renewAfter).toBe(0);
    expect(s.config.renewGrace).toBe(30);
    expect(code({ renewAfter: -1 })).toBe('ERR_INVALID_CONFIG');
    expect(code({ renewGrace: 1.5 })).toBe('ERR_INVALID_CONFIG');
  });
});

describe('a custom provider without a user index', () => {
  class Plain implements Provider {
    readonly #m = new Map<string, string>();
    async new(sid: string, v = new Value()): Promise<Storer> {
      this.#m.set(sid, v.serialize());
      return this.#storer(sid, v);
    }
    async restore(sid: string): Promise<Storer> {
      const r = this.#m.get(sid);
      if (r === undefined) throw Object.assign(new Error('nf'), {});
      return this.#storer(sid, Value.deserialize(r));
    }
    async refresh(sid: string, newSid: string): Promise<Storer> {
      const s = await this.restore(sid);
      this.#m.delete(sid);
      return this.new(newSid, s.getValue());
    }
    async destroy(sid: string): Promise<void> {
      this.#m.delete(sid);
    }
    #storer(sid: string, v: Value): Storer {
      return { sessionID: () => sid, getValue: () => v, setValue: async (x) => void this.#m.set(sid, x.serialize()), touch: async () => {} };
    }
  }

  it('login, userSessions and destroyUserSessions reject with ERR_UNSUPPORTED; everything else works', async () => {
    const s = new Session(new Plain(), { cookieSecret: SECRET, backend: 'node', renewAfter: 1 });
    await expect(s.login({ headers: {} }, fakeRes(), 'u')).rejects.toMatchObject({ code: 'ERR_UNSUPPORTED' });
    await expect(s.userSessions('u')).rejects.toMatchObject({ code: 'ERR_UNSUPPORTED' });
    await expect(s.destroyUserSessions('u')).rejects.toMatchObject({ code: 'ERR_UNSUPPORTED' });
    const store = await s.start({ headers: {} }, fakeRes());
    store.getValue().set('a', 1);
    await store.save();
    expect(store.userId()).toBe(null);
    await s.logout({ headers: {} }, fakeRes()); // no session, no user: a plain destroy
  });
});
