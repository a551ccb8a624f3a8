/**
 * End to end through `Session` over HTTP, on real Redis and memcached:
 * concurrency on one session, outages through `start` (`onStoreError`
 * fail/fresh), recovery without a restart, corrupt records.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Redis } from 'ioredis';
import type memjs from 'memjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SessionError } from '../../src/errors.js';
import type { SessionErrorEvent } from '../../src/manager/events.js';
import { Session } from '../../src/session/session.js';
import { MemcacheProvider } from '../../src/providers/memcache/provider.js';
import type { Provider } from '../../src/providers/provider.js';
import { RedisProvider } from '../../src/providers/redis/provider.js';
import { Client, listen, type TestServer } from '../helpers/http.js';
import { startMemcached, startRedis, type ServerProcess } from '../helpers/servers.js';
import { eventually, memcacheFixture, memjsClient, redisClient, redisFixture } from './fixtures.js';
import type { ProviderFixture } from './provider-suite.js';

const SECRET = 'e2e-test-secret-0123456789abcdefghijklmnop';
const TIMEOUT = 1000;

interface Body {
  sid: string;
  isNew: boolean;
  reason: string | null;
  data: Record<string, unknown>;
  error?: string;
}

function app(session: Session): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    res.setHeader('content-type', 'application/json');
    let store;
    try {
      store = await session.start(req, res);
    } catch (err) {
      res.statusCode = 503;
      res.end(JSON.stringify({ error: err instanceof SessionError ? err.code : String(err) }));
      return;
    }
    if (url.pathname === '/set') for (const [k, v] of url.searchParams) store.getValue().set(k, v);
    res.end(JSON.stringify({ sid: store.sessionID(), isNew: store.isNew(), reason: store.reason, data: store.getValue().toJSON() }));
  };
}

interface Backend {
  name: string;
  server: () => ServerProcess;
  provider: () => Provider;
  fixture: () => ProviderFixture;
  keyFor: (sid: string) => string;
  /** Names of `fixture().corruptions` (known before the servers run). */
  corruptions: string[];
}

let redis: ServerProcess;
let redisCli: Redis;
let memcached: ServerProcess;
let memcache: memjs.Client;

beforeAll(async () => {
  [redis, memcached] = await Promise.all([startRedis(), startMemcached()]);
  redisCli = redisClient(redis.port);
  memcache = memjsClient([memcached.port]);
});

afterAll(async () => {
  redisCli?.disconnect();
  memcache?.close();
  await Promise.all([redis?.dispose(), memcached?.dispose()]);
});

const backends: Backend[] = [
  {
    name: 'redis',
    server: () => redis,
    provider: () => new RedisProvider(redisCli, { timeout: TIMEOUT }),
    fixture: () => redisFixture(redisCli),
    keyFor: (sid) => new RedisProvider(redisCli).keyFor(sid),
    corruptions: ['a string, not a hash', 'a field that is not JSON'],
  },
  {
    name: 'memcache',
    server: () => memcached,
    provider: () => new MemcacheProvider(memcache, { timeout: TIMEOUT }),
    fixture: () => memcacheFixture(memcache, [memcached.port]),
    keyFor: (sid) => new MemcacheProvider(memcache).keyFor(sid),
    corruptions: ['not JSON', 'JSON, but not an object'],
  },
];

const servers: TestServer[] = [];
afterEach(async () => {
  while (servers.length) await servers.pop()!.close();
});

async function serve(session: Session): Promise<Client> {
  const server = await listen(app(session));
  servers.push(server);
  return new Client(server.url);
}

function body(res: { body: string }): Body {
  return JSON.parse(res.body) as Body;
}

describe('through Session on Redis', () => {
  it('50 parallel requests on one session, each setting its own key: all 50 are kept', async () => {
    const session = new Session(new RedisProvider(redisCli, { timeout: TIMEOUT }), { cookieSecret: SECRET, backend: 'node' });
    const client = await serve(session);
    const first = body(await client.get('/set?base=1'));
    expect(first.isNew).toBe(true);
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => client.get(`/set?k${i}=${i}`)));
    for (const r of responses) {
      expect(r.status).toBe(200);
      expect(body(r).sid).toBe(first.sid);
    }
    const after = body(await client.get('/state'));
    expect(after.sid).toBe(first.sid);
    const expected: Record<string, string> = { base: '1' };
    for (let i = 0; i < 50; i++) expected[`k${i}`] = String(i);
    expect(after.data).toEqual(expected);
  });
});

for (const b of backends) {
  describe(`through Session on ${b.name}: outages and corrupt records`, () => {
    it("onStoreError 'fail': a hung, then dead store gives 503 ERR_STORE_UNAVAILABLE in bounded time; after a restart requests succeed", async () => {
      const errors: SessionErrorEvent[] = [];
      const session = new Session(b.provider(), { cookieSecret: SECRET, backend: 'node', hooks: { error: (e) => errors.push(e) } });
      const client = await serve(session);
      const created = body(await client.get('/set?a=1'));
      expect(created.isNew).toBe(true);
      const server = b.server();
      try {
        await server.freeze();
        let t0 = Date.now();
        const hung = await client.get('/state');
        expect(hung.status).toBe(503);
        expect(body(hung).error).toBe('ERR_STORE_UNAVAILABLE');
        expect(Date.now() - t0).toBeLessThan(TIMEOUT + 3000);
        expect(errors.at(-1)?.error).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
        expect(errors.at(-1)?.operation).toBe('restore');

        await server.stop('SIGKILL');
        t0 = Date.now();
        const refused = await client.get('/state');
        expect(refused.status).toBe(503);
        expect(body(refused).error).toBe('ERR_STORE_UNAVAILABLE');
        expect(Date.now() - t0).toBeLessThan(TIMEOUT + 3000);
      } finally {
        if (!server.running) await server.start();
      }
      // The same process, provider and client serve again (the data did not survive: not persistent).
      const again = await eventually(async () => {
        const r = await client.get('/set?b=2');
        if (r.status !== 200) throw new Error(`status ${r.status}`);
        return body(r);
      });
      expect(again.data).toEqual({ b: '2' });
      expect(body(await client.get('/state')).data).toEqual({ b: '2' });
    }, 60_000);

    it("onStoreError 'fresh': the request gets a new, unsaved session (no cookie) and the error event fires", async () => {
      const errors: SessionErrorEvent[] = [];
      const session = new Session(b.provider(), {
        cookieSecret: SECRET,
        backend: 'node',
        onStoreError: 'fresh',
        hooks: { error: (e) => errors.push(e) },
      });
      const client = await serve(session);
      const created = body(await client.get('/set?a=1'));
      const server = b.server();
      try {
        await server.freeze();
        const res = await client.get('/set?during=1');
        expect(res.status).toBe(200);
        const during = body(res);
        expect(during.isNew).toBe(true);
        expect(during.reason).toBe('store-error');
        expect(during.sid).not.toBe(created.sid);
        expect(res.setCookies).toEqual([]);
        expect(errors.map((e) => (e.error as SessionError).code)).toContain('ERR_STORE_UNAVAILABLE');
      } finally {
        server.signal('SIGCONT');
      }
      // Back: the original session, untouched by the fresh one.
      const after = await eventually(async () => {
        const r = body(await client.get('/state'));
        if (r.reason === 'store-error') throw new Error('still failing');
        return r;
      });
      expect(after.sid).toBe(created.sid);
      expect(after.data).toEqual({ a: '1' });
    }, 30_000);

    for (const name of b.corruptions) {
      it(`a corrupt record (${name}): a new session for the client, the record left as it is, the app told`, async () => {
        const errors: SessionErrorEvent[] = [];
        const session = new Session(b.provider(), { cookieSecret: SECRET, backend: 'node', hooks: { error: (e) => errors.push(e) } });
        const client = await serve(session);
        const created = body(await client.get('/set?a=1'));
        const key = b.keyFor(created.sid);
        const f = b.fixture();
        await f.corruptions[name]!(key);
        const before = await f.raw(key);
        const res = body(await client.get('/set?b=2'));
        expect(res.isNew).toBe(true);
        expect(res.reason).toBe('corrupt');
        expect(res.sid).not.toBe(created.sid);
        expect(res.data).toEqual({ b: '2' });
        expect(errors.map((e) => (e.error as SessionError).code)).toEqual(['ERR_CORRUPT_RECORD']);
        expect(await f.raw(key)).toEqual(before);
        // the client now holds the new session
        expect(body(await client.get('/state')).sid).toBe(res.sid);
      });
    }
  });
}
