import { describe, expect, it } from 'vitest';
import { EmptySecretError, InvalidConfigError, SessionError, WeakSecretError } from '../../src/errors.js';
import type { SessionConfig } from '../../src/manager/config.js';
import { Session } from '../../src/session/session.js';
import { MemoryProvider } from '../../src/providers/memory/provider.js';
import type { Provider } from '../../src/providers/provider.js';

const SECRET = 'config-test-secret-0123456789-abcdefgh';

function make(config: Partial<SessionConfig> & Record<string, unknown>): Session {
  return new Session(new MemoryProvider(), { cookieSecret: SECRET, backend: 'js', ...config } as SessionConfig);
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SessionError);
    return (e as SessionError).code;
  }
  return undefined;
}

describe('Session config', () => {
  it('fills in the defaults', () => {
    const s = make({});
    expect(s.config).toMatchObject({
      cookieName: 'sid',
      cookieExpire: 86400,
      cookiePath: '/',
      cookieSameSite: 'lax',
      cookieSecure: false,
      cookieDomain: undefined,
      rememberName: 'sid_remember',
      rememberExpire: 2592000,
      sessionExpire: 1800,
      rolling: true,
      saveUninitialized: false,
      onStoreError: 'fail',
      backend: 'js',
    });
    expect(s.config.rememberSecret).toEqual([SECRET]);
  });

  it('secrets: required, ≥ 32 characters, string or list; never echoed', () => {
    expect(code(() => make({ cookieSecret: '' }))).toBe('ERR_EMPTY_SECRET');
    expect(code(() => make({ cookieSecret: undefined as unknown as string }))).toBe('ERR_EMPTY_SECRET');
    expect(code(() => make({ cookieSecret: [] }))).toBe('ERR_EMPTY_SECRET');
    expect(code(() => make({ cookieSecret: [SECRET, ''] }))).toBe('ERR_EMPTY_SECRET');
    expect(() => make({ cookieSecret: 'short-secret' })).toThrow(WeakSecretError);
    expect(() => make({ rememberSecret: 'short-secret' })).toThrow(WeakSecretError);
    expect(() => make({ cookieSecret: '' })).toThrow(EmptySecretError);
    try {
      make({ cookieSecret: [SECRET, 'hunter2-is-my-password'] });
    } catch (e) {
      expect((e as Error).message).not.toContain('hunter2');
    }
    expect(make({ cookieSecret: [SECRET, SECRET.toUpperCase()] }).config.cookieSecret).toHaveLength(2);
  });

  it('rejects wrong types and values with InvalidConfigError', () => {
    const bad: Array<Record<string, unknown>> = [
      { cookieName: '' },
      { cookieName: 'a b' },
      { cookieName: 'a;b' },
      { rememberName: 'sid' },
      { cookieExpire: -1 },
      { cookieExpire: 1.5 },
      { cookieExpire: '60' },
      { sessionExpire: -5 },
      { rememberExpire: NaN },
      { cookieSameSite: 'sometimes' },
      { cookieSameSite: 'none' }, // without cookieSecure
      { cookiePath: '/a;Domain=evil' },
      { cookieDomain: 'x.com\r\n' },
      { cookieSecure: 'yes' },
      { rolling: 1 },
      { onStoreError: 'ignore' },
      { backend: 'gpu' },
      { hooks: { error: 'log' } },
    ];
    for (const config of bad) expect(code(() => make(config)), JSON.stringify(config)).toBe('ERR_INVALID_CONFIG');
    expect(() => make({ cookieSameSite: 'none', cookieSecure: true })).not.toThrow();
  });

  it('rejects a provider that does not implement the interface', () => {
    expect(() => new Session({} as Provider, { cookieSecret: SECRET })).toThrow(InvalidConfigError);
  });

  it('tells the provider its defaults (the idle timeout)', () => {
    let ttl: number | undefined;
    const inner = new MemoryProvider();
    const provider: Provider = {
      new: (sid, v) => inner.new(sid, v),
      restore: (sid, o) => inner.restore(sid, o),
      refresh: (a, b) => inner.refresh(a, b),
      destroy: (sid) => inner.destroy(sid),
      useDefaults: (d) => {
        ttl = d.ttl;
      },
    };
    new Session(provider, { cookieSecret: SECRET, sessionExpire: 42, backend: 'js' });
    expect(ttl).toBe(42);
  });

  it('backend auto resolves to a real backend', () => {
    expect(['native', 'wasm', 'js']).toContain(make({ backend: 'auto' }).backend);
  });
});
