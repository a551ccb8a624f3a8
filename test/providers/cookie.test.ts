/**
 * CookieProvider over real HTTP: a node:http server on 127.0.0.1:0 (its
 * request-header limit raised for the 4-chunk cases), fetch + tough-cookie,
 * raw requests for hand-made Cookie headers, and a real redis-server for
 * revocation.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidConfigError, SessionError, ValueTooLargeError } from '../../src/errors.js';
import type { SessionConfig } from '../../src/manager/config.js';
import type { SessionEvents } from '../../src/manager/events.js';
import { Session } from '../../src/session/session.js';
import { setCookieLine, type CookieAttributes } from '../../src/manager/http.js';
import { ManagerRequestCookies, SET_TOKEN } from '../../src/manager/request-cookies.js';
import { CookieProvider, type CookieProviderOptions } from '../../src/providers/cookie/provider.js';
import { storeKey } from '../../src/providers/keys.js';
import { MemoryProvider } from '../../src/providers/memory/provider.js';
import { RedisProvider } from '../../src/providers/redis/provider.js';
import { Client, cookieNamed, cookiesNamed, json, rawRequest, type TestResponse } from '../helpers/http.js';
import { redisClient, redisPerFile } from './fixtures.js';
import { freePort } from '../helpers/servers.js';

const SECRET = 'cookie-provider-secret-0123456789-abcdefgh';
const NEW_SECRET = 'cookie-provider-rotated-0123456789-abcdefgh';

interface Body {
  isNew: boolean;
  reason: string | null;
  sid: string;
  keys: string[];
  blobLength: number;
  n: number;
  error?: string;
}

interface Ctx {
  url: string;
  session: Session;
  provider: CookieProvider;
  invalid: SessionEvents['invalid'][];
  errors: string[];
  client(): Client;
  raw(cookie: string): Promise<TestResponse>;
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await (cleanups.pop() as () => Promise<void>)();
});

function handler(session: Session) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://x');
    const q = url.searchParams;
    const send = (status: number, payload: unknown): void => {
      res.statusCode = status;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(payload));
    };
    try {
      if (url.pathname === '/destroy') {
        await session.destroy(req, res);
        return send(200, { destroyed: true });
      }
      const store = await session.start(req, res);
      const v = store.getValue();
      if (url.pathname === '/blob') v.set('blob', 'x'.repeat(Number(q.get('size') ?? '0')));
      if (url.pathname === '/incr') v.set('n', v.int('n') + 1);
      if (url.pathname === '/refresh') await session.refresh(req, res);
      if (url.pathname === '/save-big') {
        v.set('blob', 'x'.repeat(Number(q.get('size') ?? '0')));
        try {
          await store.save();
        } catch (err) {
          v.del('blob');
          return send(413, { error: (err as SessionError).code });
        }
      }
      if (url.pathname === '/write-head-first') {
        // node:http with an explicit writeHead: the automatic save comes after the headers.
        v.set('late', true);
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ keys: v.keys() }));
      }
      send(200, { isNew: store.isNew(), reason: store.reason, sid: store.sessionID(), keys: v.keys(), blobLength: v.string('blob').length, n: v.int('n') });
    } catch (err) {
      send(503, { error: err instanceof SessionError ? err.code : String(err) });
    }
  };
}

async function setup(options: CookieProviderOptions = {}, config: Partial<SessionConfig> = {}): Promise<Ctx> {
  const provider = new CookieProvider(options);
  const session = new Session(provider, { cookieSecret: SECRET, ...config });
  const invalid: SessionEvents['invalid'][] = [];
  const errors: string[] = [];
  session.on('invalid', (e) => invalid.push(e));
  session.on('error', (e) => errors.push((e.error as SessionError).code));
  // 4 chunks of ~4 KB pass Node's default 16 KiB header limit (why maxChunks defaults to 3).
  const server = createServer({ maxHeaderSize: 64 * 1024 }, (req, res) => void handler(session)(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    () => {
      session.dispose();
      provider.dispose();
    },
  );
  return {
    url,
    session,
    provider,
    invalid,
    errors,
    client: () => new Client(url),
    raw: (cookie) => rawRequest(url, '/state', { headers: { cookie } }),
  };
}

const ok = (r: TestResponse): Body => {
  expect(r.status, r.body).toBe(200);
  return json<Body>(r);
};

/** The client's cookies as an ordered map (name → value). */
async function jarMap(c: Client): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const cookie of await c.jar.getCookies(c.base)) out.set(cookie.key, cookie.value);
  return out;
}

function header(cookies: Map<string, string> | Array<[string, string]>): string {
  return [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
}

/** One character of a token changed (still base64url). */
function flip(token: string): string {
  const i = Math.floor(token.length / 2);
  return token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
}

const valueNames = (r: TestResponse): string[] => r.setCookies.map((l) => l.slice(0, l.indexOf('='))).filter((n) => n.startsWith('sid.data'));

describe('CookieProvider over HTTP', () => {
  it('round-trips a 10 KB value in 4 cookies, each Set-Cookie line within 4096 bytes; an unchanged request sends no cookie', async () => {
    const ctx = await setup({ maxChunks: 4 });
    const c = ctx.client();
    const first = await c.get('/blob?size=10240');
    expect(ok(first)).toMatchObject({ isNew: true, blobLength: 10240 });
    expect(valueNames(first).sort()).toEqual(['sid.data', 'sid.data.1', 'sid.data.2', 'sid.data.3']);
    for (const line of first.setCookies) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(4096);
    expect(cookieNamed(first, 'sid.data')?.httpOnly).toBe(true);
    const again = await c.get('/state');
    expect(ok(again)).toMatchObject({ isNew: false, reason: null, blobLength: 10240, sid: json<Body>(first).sid });
    expect(again.setCookies).toEqual([]);
    // A change re-seals; the ID cookie is not re-sent.
    const changed = await c.get('/incr');
    expect(ok(changed)).toMatchObject({ n: 1, blobLength: 10240 });
    expect(cookiesNamed(changed, 'sid')).toHaveLength(0);
    expect(valueNames(changed)).toHaveLength(4);
    expect(ok(await c.get('/state'))).toMatchObject({ n: 1, blobLength: 10240, isNew: false });
  });

  it('sends nothing for an untouched new session (lazy creation)', async () => {
    const ctx = await setup();
    const res = await ctx.client().get('/state');
    expect(ok(res)).toMatchObject({ isNew: true, reason: 'absent' });
    expect(res.setCookies).toEqual([]);
  });

  it('a flipped, dropped, duplicated or extra chunk gives a fresh session (invalid)', async () => {
    const ctx = await setup({ maxChunks: 4 });
    const c = ctx.client();
    ok(await c.get('/blob?size=7000'));
    const jar = await jarMap(c);
    expect([...jar.keys()].filter((k) => k.startsWith('sid.data')).sort()).toEqual(['sid.data', 'sid.data.1', 'sid.data.2']);
    const one = jar.get('sid.data.1') as string;
    const cases: Array<[string, Map<string, string>]> = [
      ['flipped chunk 1', new Map(jar).set('sid.data.1', flip(one))],
      ['flipped chunk 0', new Map(jar).set('sid.data', flip(jar.get('sid.data') as string))],
      ['dropped chunk 2', (() => { const m = new Map(jar); m.delete('sid.data.2'); return m; })()],
      ['dropped chunk 0', (() => { const m = new Map(jar); m.delete('sid.data'); return m; })()],
      ['chunk 1 duplicated into position 2', new Map(jar).set('sid.data.2', one)],
      ['chunk 1 duplicated into an extra position 3', new Map(jar).set('sid.data.3', one)],
      ['chunk 0 moved to position 1', new Map(jar).set('sid.data.1', jar.get('sid.data') as string)],
    ];
    for (const [label, cookies] of cases) {
      const before = ctx.invalid.length;
      const body = ok(await ctx.raw(header(cookies)));
      expect(body, label).toMatchObject({ isNew: true, reason: 'invalid', blobLength: 0 });
      expect(ctx.invalid.length, label).toBe(before + 1);
      expect(ctx.invalid.at(-1)?.cookieName, label).toBe('sid.data');
    }
    // The untouched cookies still restore.
    expect(ok(await ctx.raw(header(jar)))).toMatchObject({ isNew: false, blobLength: 7000 });
  });

  it("a chunk swapped with another session's, or with an older seal of the same session, gives a fresh session", async () => {
    const ctx = await setup({ maxChunks: 4 });
    const a = ctx.client();
    const b = ctx.client();
    ok(await a.get('/blob?size=7000'));
    ok(await b.get('/blob?size=7000'));
    const ja = await jarMap(a);
    const jb = await jarMap(b);
    // B's chunk 1 (same position and count, another session) in A's cookies.
    expect(ok(await ctx.raw(header(new Map(ja).set('sid.data.1', jb.get('sid.data.1') as string))))).toMatchObject({ isNew: true, reason: 'invalid' });
    // All of B's value cookies under A's ID cookie.
    const mixed = new Map(jb).set('sid', ja.get('sid') as string);
    expect(ok(await ctx.raw(header(mixed)))).toMatchObject({ isNew: true, reason: 'invalid' });
    // A's next seal (same size, same count) with one chunk of the previous seal.
    ok(await a.get('/incr'));
    const ja2 = await jarMap(a);
    expect(ja2.get('sid.data.1')).not.toBe(ja.get('sid.data.1'));
    expect(ok(await ctx.raw(header(new Map(ja2).set('sid.data.1', ja.get('sid.data.1') as string))))).toMatchObject({ isNew: true, reason: 'invalid' });
    expect(ok(await a.get('/state'))).toMatchObject({ isNew: false, n: 1, blobLength: 7000 });
    expect(ok(await b.get('/state'))).toMatchObject({ isNew: false, n: 0, blobLength: 7000 });
  });

  it('keys are separate: a value chunk never opens as the ID cookie, nor the ID cookie as a value chunk', async () => {
    const ctx = await setup();
    const c = ctx.client();
    ok(await c.get('/incr'));
    const jar = await jarMap(c);
    const swapped = new Map([
      ['sid', jar.get('sid.data') as string],
      ['sid.data', jar.get('sid') as string],
    ]);
    expect(ok(await ctx.raw(header(swapped)))).toMatchObject({ isNew: true, reason: 'invalid' });
    expect(ok(await ctx.raw(header(new Map(jar).set('sid.data', jar.get('sid') as string))))).toMatchObject({ isNew: true, reason: 'invalid' });
  });

  it('a value that shrinks expires the chunks it no longer needs', async () => {
    const ctx = await setup();
    const c = ctx.client();
    ok(await c.get('/blob?size=7000'));
    expect((await jarMap(c)).has('sid.data.2')).toBe(true);
    const shrunk = await c.get('/blob?size=10');
    expect(ok(shrunk)).toMatchObject({ blobLength: 10, isNew: false });
    expect(cookieNamed(shrunk, 'sid.data.1')?.maxAge).toBe(0);
    expect(cookieNamed(shrunk, 'sid.data.2')?.maxAge).toBe(0);
    expect([...(await jarMap(c)).keys()].sort()).toEqual(['sid', 'sid.data']);
    expect(ok(await c.get('/state'))).toMatchObject({ blobLength: 10, isNew: false });
  });

  it('destroy expires the ID cookie and every value cookie', async () => {
    const ctx = await setup();
    const c = ctx.client();
    ok(await c.get('/blob?size=5000'));
    const out = await c.get('/destroy');
    expect(out.status).toBe(200);
    for (const name of ['sid', 'sid.data', 'sid.data.1']) expect(cookieNamed(out, name)?.maxAge, name).toBe(0);
    expect([...(await jarMap(c)).keys()]).toEqual([]);
    expect(ok(await c.get('/state'))).toMatchObject({ isNew: true, reason: 'absent' });
  });

  it('past maxChunks: ValueTooLargeError at save, before any header; the auto-save answers a framed 500', async () => {
    const ctx = await setup({ maxChunks: 2 });
    expect(ctx.provider.maxValueBytes).toBeGreaterThan(5000);
    expect(ctx.provider.maxValueBytes).toBeLessThan(6000);
    const c = ctx.client();
    ok(await c.get('/incr'));
    const explicit = await c.get('/save-big?size=9000');
    expect(explicit.status).toBe(413);
    expect(json<Body>(explicit).error).toBe('ERR_VALUE_TOO_LARGE');
    // Nothing half-written: no value cookie line on that response beyond the save after the catch.
    expect(ok(await c.get('/state'))).toMatchObject({ isNew: false, n: 1, blobLength: 0 });
    const auto = await c.get('/blob?size=9000');
    expect(auto.status).toBe(500);
    expect(auto.setCookies).toEqual([]);
    expect(ctx.errors).toContain('ERR_VALUE_TOO_LARGE');
    expect(ok(await c.get('/state'))).toMatchObject({ isNew: false, n: 1 });
  });

  it('refresh re-seals the value under the new ID; without revocation the old cookies stay valid (documented)', async () => {
    const ctx = await setup();
    const c = ctx.client();
    const before = ok(await c.get('/incr'));
    const old = header(await jarMap(c));
    const refreshed = await c.get('/refresh');
    const after = ok(refreshed);
    expect(after.sid).not.toBe(before.sid);
    expect(cookiesNamed(refreshed, 'sid')).toHaveLength(1);
    expect(cookiesNamed(refreshed, 'sid.data')).toHaveLength(1);
    expect(ok(await c.get('/state'))).toMatchObject({ isNew: false, n: 1, sid: after.sid });
    // Stateless: nothing remembers the old ID.
    expect(ok(await ctx.raw(old))).toMatchObject({ isNew: false, n: 1, sid: before.sid });
  });

  it('secret rotation: cookies sealed under the old secret restore and are re-sealed under the new one', async () => {
    const oldCtx = await setup();
    const c = oldCtx.client();
    ok(await c.get('/blob?size=5000'));
    const oldJar = await jarMap(c);
    const ctx = await setup({}, { cookieSecret: [NEW_SECRET, SECRET] });
    const res = await ctx.raw(header(oldJar));
    expect(ok(res)).toMatchObject({ isNew: false, blobLength: 5000 });
    const resealed = new Map<string, string>();
    for (const name of ['sid', 'sid.data', 'sid.data.1']) {
      const v = cookieNamed(res, name)?.value;
      expect(v, name).toBeDefined();
      expect(v, name).not.toBe(oldJar.get(name));
      resealed.set(name, v as string);
    }
    const onlyNew = await setup({}, { cookieSecret: NEW_SECRET });
    expect(ok(await onlyNew.raw(header(resealed)))).toMatchObject({ isNew: false, blobLength: 5000 });
    expect(ok(await onlyNew.raw(header(oldJar)))).toMatchObject({ isNew: true, reason: 'invalid' });
  });

  it('large values seal on node:crypto under auto, small ones on the Session backend; all open on any backend', async () => {
    const a = await setup({}, { backend: 'wasm' });
    const js = await setup({ backend: 'js' }, { backend: 'js' });
    for (const size of [10, 3000]) {
      const c = a.client();
      ok(await c.get(`/blob?size=${size}`));
      expect(ok(await js.raw(header(await jarMap(c))))).toMatchObject({ isNew: false, blobLength: size });
    }
  });

  it('a change saved only after an explicit writeHead is refused with a typed error (HeadersSentError), not lost silently or a crash', async () => {
    const ctx = await setup();
    const c = ctx.client();
    ok(await c.get('/incr'));
    const late = await c.get('/write-head-first');
    expect(late.status).toBe(200);
    expect(valueNames(late)).toEqual([]);
    expect(ctx.errors).toContain('ERR_HEADERS_SENT');
    // The cookies the client has still hold the value as it was.
    expect(ok(await c.get('/state'))).toMatchObject({ isNew: false, n: 1, keys: ['n'] });
  });

  it('refuses bad configuration with typed errors', () => {
    expect(() => new CookieProvider({ maxChunks: 0 })).toThrow(InvalidConfigError);
    expect(() => new CookieProvider({ maxChunks: 11 })).toThrow(InvalidConfigError);
    expect(() => new Session(new CookieProvider({ name: 'sid' }), { cookieSecret: SECRET })).toThrow(InvalidConfigError);
    expect(() => new Session(new CookieProvider({ name: 'bad name' }), { cookieSecret: SECRET })).toThrow(InvalidConfigError);
    expect(() => new Session(new CookieProvider({ revocation: new MemoryProvider() }), { cookieSecret: SECRET, cookieExpire: 0 })).toThrow(InvalidConfigError);
    const shared = new CookieProvider();
    const s = new Session(shared, { cookieSecret: SECRET });
    expect(() => new Session(shared, { cookieSecret: SECRET })).toThrow(InvalidConfigError);
    s.dispose();
    // Outside a Session it has no cookies to read.
    return expect(new CookieProvider().restore()).rejects.toThrow(InvalidConfigError);
  });

  it('value cookie lines carry the Session\'s attributes, byte for byte as the ID cookie\'s (Domain, Path, Secure, SameSite, Max-Age, Expires)', async () => {
    const configs: Array<Partial<SessionConfig>> = [
      {},
      { cookieDomain: '127.0.0.1', cookiePath: '/', cookieSecure: true, cookieSameSite: 'strict' },
      { cookiePath: '/app', cookieSameSite: 'none', cookieSecure: true },
      { cookieExpire: 0 },
    ];
    // Max-Age and Expires of the two cookies may straddle a second: compare their shape, not their digits.
    const attrs = (line: string): string => line.slice(line.indexOf(';')).replace(/Max-Age=\d+/, 'Max-Age=N').replace(/Expires=[^;]+/, 'Expires=D');
    for (const config of configs) {
      const ctx = await setup({}, config);
      const r = await rawRequest(ctx.url, '/incr');
      expect(r.status, r.body).toBe(200);
      const id = r.setCookies.find((l) => l.startsWith('sid='));
      const value = r.setCookies.find((l) => l.startsWith('sid.data='));
      expect(id, JSON.stringify(config)).toBeDefined();
      expect(attrs(value as string), JSON.stringify(config)).toBe(attrs(id as string));
    }
  });

  it('the value cookies\' line builder equals setCookieLine for every attribute set', () => {
    const sets: CookieAttributes[] = [
      { path: '/', domain: undefined, secure: false, sameSite: 'lax' },
      { path: '/x', domain: 'example.com', secure: true, sameSite: 'strict' },
      { path: '', domain: undefined, secure: true, sameSite: 'none' },
    ];
    const at = Date.now() + 86_400_000;
    for (const attrs of sets) {
      const lines = new Map<string, string>();
      let header: string[] = [];
      const res = { getHeader: () => header, setHeader: (_n: string, v: number | string | readonly string[]) => void (header = [...(v as string[])]), headersSent: false };
      const cookies = new ManagerRequestCookies({ headers: {} }, res, lines, attrs);
      cookies.set('v.1', 'AbC-_9', at);
      cookies.set('v.2', 'AbC-_9', undefined);
      const line = lines.get('v.1') as string;
      const maxAge = Number(/Max-Age=(\d+)/.exec(line)?.[1]);
      expect(line).toBe(setCookieLine('v.1', 'AbC-_9', attrs, maxAge, new Date(at)));
      expect(lines.get('v.2')).toBe(setCookieLine('v.2', 'AbC-_9', attrs, undefined));
      // CookieProvider's path for sealed tokens writes the same line.
      cookies[SET_TOKEN]('v.1', 'AbC-_9', undefined);
      expect(lines.get('v.1')).toBe(setCookieLine('v.1', 'AbC-_9', attrs, undefined));
      // A value the cookie package refuses is refused the same way (it is handed to it).
      expect(() => cookies.set('v.3', 'a b', at)).toThrow(TypeError);
    }
  });

  it('ValueTooLargeError is a typed SessionError', () => {
    expect(new ValueTooLargeError('x').code).toBe('ERR_VALUE_TOO_LARGE');
  });
});

describe('CookieProvider revocation on a real Redis', () => {
  const redis = redisPerFile();

  it('a replayed cookie of a destroyed session is a fresh session; other sessions are untouched; the record lives until the absolute expiry', async () => {
    const revocation = new RedisProvider(redis.client, { prefix: 'revoked:' });
    const ctx = await setup({ revocation }, { cookieExpire: 3600 });
    const a = ctx.client();
    const b = ctx.client();
    const sa = ok(await a.get('/blob?size=5000'));
    ok(await b.get('/incr'));
    const stolen = header(await jarMap(a));
    expect(ok(await ctx.raw(stolen))).toMatchObject({ isNew: false, blobLength: 5000 });
    expect((await a.get('/destroy')).status).toBe(200);
    expect(ok(await ctx.raw(stolen))).toMatchObject({ isNew: true, reason: 'unknown', blobLength: 0 });
    expect(ok(await b.get('/state'))).toMatchObject({ isNew: false, n: 1 });
    const ttl = await redis.client.ttl(storeKey('revoked:', sa.sid));
    expect(ttl).toBeGreaterThan(3500);
    expect(ttl).toBeLessThanOrEqual(3600);
  });

  it('refresh revokes the old ID: the pre-login cookies stop working', async () => {
    const revocation = new RedisProvider(redis.client, { prefix: 'revoked2:' });
    const ctx = await setup({ revocation });
    const c = ctx.client();
    ok(await c.get('/incr'));
    const old = header(await jarMap(c));
    const after = ok(await c.get('/refresh'));
    expect(ok(await c.get('/state'))).toMatchObject({ isNew: false, n: 1, sid: after.sid });
    expect(ok(await ctx.raw(old))).toMatchObject({ isNew: true, reason: 'unknown' });
  });

  it('a revocation store that is down is a store failure (503 with onStoreError fail), never a crash', async () => {
    const good = await setup();
    const c = good.client();
    ok(await c.get('/incr'));
    // A Redis client whose server is gone: its commands fail fast.
    const gone = redisClient(await freePort(), { maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true });
    cleanups.push(() => gone.disconnect());
    const failing = new RedisProvider(gone, { timeout: 500 });
    const ctx = await setup({ revocation: failing });
    const res = await ctx.raw(header(await jarMap(c)));
    expect(res.status).toBe(503);
    expect(json<Body>(res).error).toBe('ERR_STORE_UNAVAILABLE');
    expect(ctx.errors).toContain('ERR_STORE_UNAVAILABLE');
  });
});
