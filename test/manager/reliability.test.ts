/**
 * Regressions of issue 9 over real HTTP: a handler's own Set-Cookie in
 * writeHead (every header form), the framed 500 after a failed save with a
 * pipelined request behind it, and the typed errors for odd keys, deep
 * values, foreign `ERR_*` errors and out-of-range config.
 */
import { connect } from 'node:net';
import type { ServerResponse } from 'node:http';
import { parseSetCookie } from 'cookie';
import memjs from 'memjs';
import { afterEach, describe, expect, it } from 'vitest';
import { createCodec } from '../../src/crypto/index.js';
import { InvalidConfigError, InvalidValueError, SessionError, StoreUnavailableError, ValueTooLargeError, isSessionError } from '../../src/errors.js';
import { Session } from '../../src/session/session.js';
import { MAX_DEPTH, Value } from '../../src/manager/value.js';
import { MemcacheProvider } from '../../src/providers/memcache/provider.js';
import { MemoryProvider } from '../../src/providers/memory/provider.js';
import type { Provider } from '../../src/providers/provider.js';
import { cookiesNamed, listen, rawRequest, type Handler, type TestResponse, type TestServer } from '../helpers/http.js';

const SECRET = 'reliability-suite-secret-0123456789-abcdef';

const servers: TestServer[] = [];
afterEach(async () => {
  while (servers.length) await (servers.pop() as TestServer).close();
});

async function serve(handler: Handler): Promise<TestServer> {
  const s = await listen(handler);
  servers.push(s);
  return s;
}

function sid(res: TestResponse): string | undefined {
  return cookiesNamed(res, 'sid').at(-1)?.value;
}

/** The ways an app can pass Set-Cookie to writeHead. */
const FORMS: Record<string, (res: ServerResponse, status: number, lines: string[]) => void> = {
  'object, Set-Cookie string': (res, status, lines) => void res.writeHead(status, { Location: '/', 'Set-Cookie': lines[0] as string }),
  'object, set-cookie array': (res, status, lines) => void res.writeHead(status, { location: '/', 'set-cookie': lines }),
  'object, SET-COOKIE, with a status message': (res, status, lines) => void res.writeHead(status, 'Moved', { 'SET-COOKIE': lines }),
  'flat array': (res, status, lines) => void res.writeHead(status, ['Location', '/', ...lines.flatMap((l) => ['Set-Cookie', l])]),
};

describe("a handler's own Set-Cookie in writeHead never drops the library's cookies", () => {
  for (const [form, writeHead] of Object.entries(FORMS)) {
    it(`login (refresh + 302) keeps the new session cookie: ${form}`, async () => {
      const provider = new MemoryProvider();
      const session = new Session(provider, { cookieSecret: SECRET, backend: 'js' });
      const app = await serve(async (req, res) => {
        const store = await session.start(req, res);
        if (req.url === '/login') {
          store.getValue().set('user', 'alice');
          await session.refresh(req, res);
          writeHead(res, 302, ['flash=welcome; Path=/']);
          return void res.end();
        }
        res.end(JSON.stringify({ user: store.getValue().get('user') ?? null, isNew: store.isNew() }));
      });
      const first = await rawRequest(app.url, '/visit');
      expect(first.status).toBe(200);
      // An existing session first, so refresh destroys an old ID.
      const boot = await rawRequest(app.url, '/login');
      const old = sid(boot) as string;
      const login = await rawRequest(app.url, '/login', { headers: { cookie: `sid=${old}` } });
      expect(login.status).toBe(302);
      expect(cookiesNamed(login, 'flash').map((c) => c.value)).toEqual(['welcome']);
      const fresh = sid(login);
      expect(fresh).toBeDefined();
      expect(fresh).not.toBe(old);
      const back = await rawRequest(app.url, '/me', { headers: { cookie: `sid=${fresh}` } });
      expect(JSON.parse(back.body)).toEqual({ user: 'alice', isNew: false });
      const dead = await rawRequest(app.url, '/me', { headers: { cookie: `sid=${old}` } });
      expect(JSON.parse(dead.body)).toMatchObject({ isNew: true });
      session.dispose();
    });

    it(`a new session, remember-me and destroy's expiring cookie all go out: ${form}`, async () => {
      const provider = new MemoryProvider();
      const session = new Session(provider, { cookieSecret: SECRET, backend: 'js' });
      const app = await serve(async (req, res) => {
        if (req.url === '/destroy') {
          await session.destroy(req, res);
          writeHead(res, 200, ['flash=bye; Path=/']);
          return void res.end();
        }
        const store = await session.start(req, res);
        store.getValue().set('n', 1);
        session.newRemember(req, res, 'psk-1');
        res.setHeader('Set-Cookie', 'theme=dark; Path=/'); // before: merged, not replaced
        writeHead(res, 200, ['flash=hi; Path=/']);
        res.end('ok');
      });
      const res = await rawRequest(app.url, '/');
      expect(cookiesNamed(res, 'flash').map((c) => c.value)).toEqual(['hi']);
      expect(cookiesNamed(res, 'theme').map((c) => c.value)).toEqual(['dark']);
      expect(cookiesNamed(res, 'sid_remember')).toHaveLength(1);
      const token = sid(res);
      expect(token).toBeDefined();
      expect(provider.size).toBe(1); // the record and its cookie: no orphan
      const out = await rawRequest(app.url, '/destroy', { headers: { cookie: `sid=${token}` } });
      expect(cookiesNamed(out, 'flash').map((c) => c.value)).toEqual(['bye']);
      expect(cookiesNamed(out, 'sid')).toMatchObject([{ value: '', maxAge: 0 }]);
      expect(provider.size).toBe(0);
      session.dispose();
    });
  }

  it("lines the app set with setHeader after the library's (replacing the list) are merged, not lost", async () => {
    const session = new Session(new MemoryProvider(), { cookieSecret: SECRET, backend: 'js' });
    const app = await serve(async (req, res) => {
      const store = await session.start(req, res);
      store.getValue().set('n', 1);
      await session.refresh(req, res); // sets the cookie now
      res.setHeader('Set-Cookie', 'flash=1; Path=/'); // Node replaces the whole list
      res.end('ok');
    });
    const res = await rawRequest(app.url, '/');
    expect(cookiesNamed(res, 'flash')).toHaveLength(1);
    expect(cookiesNamed(res, 'sid')).toHaveLength(1);
    session.dispose();
  });

  it("an app cookie with the session cookie's name is the app's explicit choice: it wins, alone", async () => {
    const session = new Session(new MemoryProvider(), { cookieSecret: SECRET, backend: 'js' });
    const app = await serve(async (req, res) => {
      const store = await session.start(req, res);
      store.getValue().set('n', 1);
      res.writeHead(200, { 'Set-Cookie': ['sid=app-value; Path=/', 'other=1'] });
      res.end('ok');
    });
    const res = await rawRequest(app.url, '/');
    expect(cookiesNamed(res, 'sid').map((c) => c.value)).toEqual(['app-value']);
    expect(cookiesNamed(res, 'other')).toHaveLength(1);
    session.dispose();
  });

  it('writeHead without Set-Cookie in its headers leaves the headers as Node would', async () => {
    const session = new Session(new MemoryProvider(), { cookieSecret: SECRET, backend: 'js' });
    const app = await serve(async (req, res) => {
      const store = await session.start(req, res);
      store.getValue().set('n', 1);
      res.setHeader('Set-Cookie', 'early=1');
      res.writeHead(201, { 'X-Test': 'yes' });
      res.end();
    });
    const res = await rawRequest(app.url, '/');
    expect(res.status).toBe(201);
    expect(res.headers['x-test']).toBe('yes');
    expect(res.setCookies.map((l) => parseSetCookie(l).name)).toEqual(['early', 'sid']);
    session.dispose();
  });
});

/** A memory provider whose saves always fail. */
function failingSaves(): Provider {
  const inner = new MemoryProvider();
  const down = (): Promise<never> => Promise.reject(new StoreUnavailableError('store down (test)'));
  return { new: down, restore: (s, o) => inner.restore(s, o), refresh: (a, b) => inner.refresh(a, b), destroy: (s) => inner.destroy(s) };
}

/** Sends `text` on one socket and collects what comes back until `complete` says so (or 10 s pass). */
function pipeline(url: string, text: string, complete: (answer: string) => boolean): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let answer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(answer); // the assertions say what is missing
    }, 10_000);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      answer += chunk;
      if (complete(answer)) {
        clearTimeout(timer);
        socket.destroy();
        resolve(answer);
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.write(text);
  });
}

describe('the 503 after a save the store could not take is framed: the connection stays usable', () => {
  it('two pipelined requests on one keep-alive socket, the first failing its save: both are answered', async () => {
    const session = new Session(failingSaves(), { cookieSecret: SECRET, backend: 'js' });
    session.on('error', () => {});
    const app = await serve(async (req, res) => {
      const store = await session.start(req, res);
      if (req.url === '/change') store.getValue().set('n', 1);
      res.setHeader('Content-Length', 5);
      res.end('hello');
    });
    const req = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n`;
    const answer = await pipeline(app.url, req('/change') + req('/plain'), (a) => (a.match(/HTTP\/1\.1 /g) ?? []).length >= 2 && a.endsWith('hello'));
    const parts = answer.split(/(?=HTTP\/1\.1 )/);
    expect(parts).toHaveLength(2);
    expect(parts[0]).toMatch(/^HTTP\/1\.1 503 /);
    expect(parts[0]).toMatch(/content-length: 20\r\n/i);
    expect(parts[0]).not.toMatch(/set-cookie/i);
    expect(parts[0]).toMatch(/\r\n\r\nService Unavailable\n$/);
    expect(parts[1]).toMatch(/^HTTP\/1\.1 200 /);
    expect(parts[1]).toMatch(/hello$/);
    session.dispose();
  });
});

describe('the memory provider saves synchronously inside end: its failures still become a framed 500', () => {
  it('a returning request whose save is over maxEntrySize gets a 500 (no false confirmation), the record and the next request stay intact', async () => {
    const session = new Session(new MemoryProvider({ maxEntrySize: 2_000 }), { cookieSecret: SECRET, backend: 'js' });
    const errors: string[] = [];
    session.on('error', (e) => errors.push(`${e.operation}:${e.error.code}`));
    const app = await serve(async (req, res) => {
      const store = await session.start(req, res);
      const v = store.getValue();
      if (req.url === '/big') v.set('big', 'x'.repeat(5_000));
      else v.set('n', v.int('n') + 1);
      res.end(String(v.int('n')));
    });
    const first = await rawRequest(app.url, '/');
    const cookie = `sid=${sid(first) as string}`;
    expect(first.body).toBe('1');
    const big = await rawRequest(app.url, '/big', { headers: { cookie } });
    expect(big.status).toBe(500);
    expect(big.body).toBe('Internal Server Error\n');
    expect(errors).toEqual(['save:ERR_VALUE_TOO_LARGE']);
    // The failed save wrote nothing: the counter goes on from the stored 1.
    expect((await rawRequest(app.url, '/', { headers: { cookie } })).body).toBe('2');
    session.dispose();
  });
});

describe('session keys and values: typed errors, never a crash or a corrupt record', () => {
  it('refuses non-string keys with ERR_INVALID_VALUE at set, add and del', () => {
    const v = new Value();
    for (const key of [5, null, undefined, {}, Symbol('k'), ['a']]) {
      const k = key as unknown as string;
      expect(() => v.set(k, 1)).toThrow(InvalidValueError);
      expect(() => v.add(k, 1)).toThrow(InvalidValueError);
      expect(() => v.del(k)).toThrow(InvalidValueError);
    }
    expect(v.size).toBe(0);
    expect(() => new Value({ ok: 1 }).serialize()).not.toThrow();
  });

  it('refuses keys with a lone surrogate (no UTF-8 form) and accepts paired ones', () => {
    const v = new Value();
    for (const key of ['\ud800', 'a\udc00', '\udc00\ud800']) expect(() => v.set(key, 1)).toThrow(InvalidValueError);
    v.set('🍪', 1);
    expect(v.get('🍪')).toBe(1);
  });

  it(`refuses values nested deeper than ${MAX_DEPTH} levels with ERR_INVALID_VALUE (no RangeError), at any depth`, () => {
    const nest = (n: number): unknown => {
      let x: unknown = 1;
      for (let i = 0; i < n; i++) x = i % 2 ? [x] : { x };
      return x;
    };
    const v = new Value();
    v.set('ok', nest(MAX_DEPTH));
    for (const n of [MAX_DEPTH + 1, 5_000, 100_000]) {
      let err: unknown;
      try {
        v.set('deep', nest(n));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidValueError);
      expect((err as Error).message.length).toBeLessThan(400);
    }
    expect(v.has('deep')).toBe(false);
  });

  it('round-trips __proto__ and constructor keys through the memory provider without touching any prototype', async () => {
    const provider = new MemoryProvider();
    const v = new Value().set('__proto__', { polluted: true }).set('constructor', 'c').set('toString', 1);
    await provider.new('p1', v);
    const back = (await provider.restore('p1')).getValue();
    expect(back.get('__proto__')).toEqual({ polluted: true });
    expect(back.get('constructor')).toBe('c');
    expect(back.keys().sort()).toEqual(['__proto__', 'constructor', 'toString']);
    expect(Object.getPrototypeOf(back.toJSON())).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("errors from a provider: only the library's own pass through", () => {
  function throwingProvider(err: unknown): Provider {
    const inner = new MemoryProvider();
    return { new: () => Promise.reject(err), restore: (s, o) => inner.restore(s, o), refresh: (a, b) => inner.refresh(a, b), destroy: (s) => inner.destroy(s) };
  }
  const node = Object.assign(new RangeError('The value of "value" is out of range.'), { code: 'ERR_OUT_OF_RANGE' });

  for (const [label, err] of [['a TypeError', new TypeError('x is not a function')], ["Node's ERR_OUT_OF_RANGE", node], ['a plain object with code ERR_SESSION_NOT_FOUND', { code: 'ERR_SESSION_NOT_FOUND' }]] as const) {
    it(`${label} becomes StoreUnavailableError with it as cause`, async () => {
      const session = new Session(throwingProvider(err), { cookieSecret: SECRET, backend: 'js' });
      const seen: unknown[] = [];
      session.on('error', (e) => seen.push(e.error));
      const res = { headers: new Map<string, unknown>(), getHeader: () => undefined, setHeader: () => undefined };
      const store = await session.start({ headers: {} }, res);
      store.getValue().set('n', 1);
      const got = await store.save().then(() => null, (e: unknown) => e);
      expect(got).toBeInstanceOf(StoreUnavailableError);
      expect((got as SessionError).code).toBe('ERR_STORE_UNAVAILABLE');
      expect((got as Error).cause).toBe(err);
      expect(seen).toEqual([got]);
      session.dispose();
    });
  }

  it('isSessionError recognises errors of another copy of the library by its brand, not by instanceof', () => {
    const brand = Symbol.for('wasm-session.SessionError');
    const foreign = Object.assign(new Error('other copy'), { code: 'ERR_SESSION_NOT_FOUND', [brand]: true });
    expect(isSessionError(foreign)).toBe(true);
    expect(isSessionError(node)).toBe(false);
    expect(isSessionError(new InvalidConfigError('x'))).toBe(true);
  });
});

describe('config: values that would fail later are refused at construction', () => {
  const make = (config: Record<string, unknown>, provider: Provider = new MemoryProvider()): Session =>
    new Session(provider, { cookieSecret: SECRET, backend: 'js', ...config });

  it('cookieExpire and rememberExpire past 400 days, sessionExpire past 2^31-1 s: InvalidConfigError', () => {
    for (const config of [{ cookieExpire: 9e15 }, { cookieExpire: 400 * 86_400 + 1 }, { rememberExpire: 1e12 }, { sessionExpire: 2 ** 31 }]) {
      expect(() => make(config)).toThrow(InvalidConfigError);
    }
    expect(make({ cookieExpire: 400 * 86_400 }).config.cookieExpire).toBe(400 * 86_400);
  });

  it("memcached: a TTL whose end its 32-bit absolute time can't hold is refused, for the option and for sessionExpire", () => {
    const client = memjs.Client.create('127.0.0.1:1', { logger: { log() {} } });
    try {
      expect(() => make({ sessionExpire: 3e9 }, new MemcacheProvider(client))).toThrow(InvalidConfigError);
      expect(() => new MemcacheProvider(client, { ttl: 3e9 })).toThrow(InvalidConfigError);
      // 31 days: an absolute time, fine.
      expect(make({ sessionExpire: 31 * 86_400 }, new MemcacheProvider(client)).config.sessionExpire).toBe(31 * 86_400);
    } finally {
      client.close();
    }
  });

  it('a non-string secret is ERR_INVALID_CONFIG from createCodec and from Session alike', () => {
    const code = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        return (e as SessionError).code;
      }
      return undefined;
    };
    for (const secrets of [[12345], 12345, [SECRET, {}]]) {
      expect(code(() => createCodec({ secrets: secrets as unknown as string[], name: 'sid', backend: 'js' }))).toBe('ERR_INVALID_CONFIG');
      expect(code(() => make({ cookieSecret: secrets }))).toBe('ERR_INVALID_CONFIG');
    }
  });

  it('a secret of one repeated character (32 spaces, "xxxx…") is ERR_WEAK_SECRET, without echoing it', () => {
    for (const secret of [' '.repeat(32), 'x'.repeat(64)]) {
      let err: unknown;
      try {
        make({ cookieSecret: secret });
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ code: 'ERR_WEAK_SECRET' });
      expect((err as Error).message).toContain('openssl rand');
      expect(() => createCodec({ secrets: secret, name: 'sid', backend: 'js' })).toThrow(expect.objectContaining({ code: 'ERR_WEAK_SECRET' }));
    }
  });
});

describe('MemoryProvider is bounded in bytes as well as in count', () => {
  it('a flood of large sessions evicts the oldest instead of growing without bound', async () => {
    const provider = new MemoryProvider({ maxSize: 1_000_000, maxEntrySize: 300_000 });
    const big = 'x'.repeat(100_000); // ~200 KB estimated each
    for (let i = 0; i < 20; i++) await provider.new(`s${i}`, new Value({ big }));
    expect(provider.size).toBeLessThanOrEqual(5);
    await expect(provider.restore('s19')).resolves.toBeDefined();
    await expect(provider.restore('s0')).rejects.toMatchObject({ code: 'ERR_SESSION_NOT_FOUND' });
  });

  it('one session over maxEntrySize is ValueTooLargeError at new and at save, and the old record stays', async () => {
    const provider = new MemoryProvider({ maxEntrySize: 10_000 });
    await expect(provider.new('a', new Value({ big: 'y'.repeat(10_000) }))).rejects.toBeInstanceOf(ValueTooLargeError);
    const s = await provider.new('b', new Value({ n: 1 }));
    const v = s.getValue().set('big', 'y'.repeat(10_000));
    await expect(s.setValue(v)).rejects.toBeInstanceOf(ValueTooLargeError);
    expect((await provider.restore('b')).getValue().toJSON()).toEqual({ n: 1 });
  });

  it('rejects bad bounds with InvalidConfigError', () => {
    for (const options of [{ maxSize: 0 }, { maxSize: 1.5 }, { maxEntrySize: -1 }, { maxSize: 10, maxEntrySize: 11 }]) {
      expect(() => new MemoryProvider(options)).toThrow(InvalidConfigError);
    }
  });
});
