/**
 * RedisProvider's client-side cache (`cache: { maxBytes }`) on a real Redis:
 * two providers with their own connections stand for two app servers. What
 * one changes, the other never serves stale once the invalidation arrived
 * (awaited with `cache.sync()`, a PING behind it on the invalidation
 * connection, or with the cache's own events: no sleeps with timing asserts),
 * and faults (a killed connection, a frozen or restarted server, FLUSHALL)
 * flush it.
 */
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Session } from '../../src/index.js';
import { Value } from '../../src/manager/value.js';
import { RedisProvider } from '../../src/providers/redis/provider.js';
import { Client, listen } from '../helpers/http.js';
import { CLIENT_KINDS, makeRedisClient } from '../helpers/redis-clients.js';
import { startRedis, type ServerProcess } from '../helpers/servers.js';
import { redisClient, sid } from './fixtures.js';

let server: ServerProcess;
const clients: Redis[] = [];
const providers: RedisProvider[] = [];

beforeAll(async () => {
  server = await startRedis();
});
afterEach(() => {
  while (providers.length) providers.pop()!.cache?.close();
  while (clients.length) clients.pop()!.disconnect();
});
afterAll(async () => {
  await server?.dispose();
});

function client(port = server.port): Redis {
  const c = redisClient(port);
  clients.push(c);
  return c;
}

/** A provider with its own connections (one app server) and the cache on. */
function cached(options: { ttl?: number; heartbeat?: number; maxBytes?: number; prefix?: string; port?: number; timeout?: number; patient?: boolean } = {}): RedisProvider {
  const c = options.patient ? redisClient(options.port ?? server.port, {}) : client(options.port);
  if (options.patient) clients.push(c);
  const p = new RedisProvider(c, {
    ttl: options.ttl ?? 600,
    prefix: options.prefix ?? 'c:',
    timeout: options.timeout ?? 2000,
    cache: { maxBytes: options.maxBytes ?? 1 << 20, heartbeat: options.heartbeat ?? 200 },
  });
  providers.push(p);
  return p;
}

/** Resolves when `p`'s cache serves (tracking on): after connect and after each fault. */
async function serving(p: RedisProvider): Promise<void> {
  await p.cache!.sync(15_000);
}

/** Resolves at the next invalidation message or flush `p`'s cache sees. */
function nextInvalidation(p: RedisProvider): Promise<void> {
  return new Promise((resolve) => {
    const off = p.cache!.onInvalidate(() => {
      off();
      resolve();
    });
  });
}

/** Resolves once `p`'s cache counted more flushes than `n`. */
async function flushedAfter(p: RedisProvider, n: number): Promise<void> {
  while (p.cache!.stats().flushes <= n) await nextInvalidation(p);
}

/** Calls per command since the last CONFIG RESETSTAT (INFO commandstats), without the inspection commands. */
async function commandCalls(c: Redis): Promise<Record<string, number>> {
  const info = await c.info('commandstats');
  const out: Record<string, number> = {};
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (/^(info|config)/.test(m[1] as string)) continue;
    out[m[1] as string] = Number(m[2]);
  }
  return out;
}

const get = async (p: RedisProvider, id: string, key: string): Promise<unknown> => (await p.restore(id, { touch: true })).getValue().get(key);

describe('redis client-side cache on every client (issue 38: ioredis 6 and node-redis 6 speak RESP3 by default)', () => {
  for (const kind of CLIENT_KINDS) {
    it(`${kind}: another app server's change, destroy and FLUSHALL reach the cached server by themselves (no sync)`, async () => {
      const appClient = makeRedisClient(server.port, { maxRetriesPerRequest: 1 }, kind);
      appClient.on('error', () => {});
      clients.push(appClient);
      const a = new RedisProvider(appClient, { ttl: 600, prefix: `k-${kind}:`, cache: { maxBytes: 1 << 20, heartbeat: 200 } });
      providers.push(a);
      const b = new RedisProvider(client(), { ttl: 600, prefix: `k-${kind}:` }); // another server, no cache
      await serving(a);
      // Waits for the invalidation event (bounded: a missing one fails here rather than hanging).
      const invalidated = (): Promise<void> =>
        Promise.race([nextInvalidation(a), new Promise<void>((_, reject) => setTimeout(() => reject(new Error(`${kind}: no invalidation within 10 s`)), 10_000))]);
      const id = sid();
      await b.new(id, new Value({ n: 1 }));
      expect(await get(a, id, 'n')).toBe(1);
      expect(a.restoreSync(id, { touch: true })?.getValue().get('n')).toBe(1);
      // B changes it.
      let event = invalidated();
      const sb = await b.restore(id);
      sb.getValue().set('n', 2);
      await sb.setValue(sb.getValue());
      await event;
      expect(a.restoreSync(id, { touch: true })).toBeNull();
      expect(await get(a, id, 'n')).toBe(2);
      // B destroys it (a logout on another server).
      event = invalidated();
      await b.destroy(id);
      await event;
      expect(a.restoreSync(id, { touch: true })).toBeNull();
      await expect(a.restore(id, { touch: true })).rejects.toMatchObject({ code: 'ERR_SESSION_NOT_FOUND' });
      // An admin's FLUSHALL.
      const other = sid();
      await b.new(other, new Value({ n: 3 }));
      expect(await get(a, other, 'n')).toBe(3);
      const flushes = a.cache!.stats().flushes;
      event = invalidated();
      await client().flushall();
      await event;
      expect(a.cache!.stats().flushes).toBeGreaterThan(flushes);
      expect(a.restoreSync(other, { touch: true })).toBeNull();
      await expect(a.restore(other, { touch: true })).rejects.toMatchObject({ code: 'ERR_SESSION_NOT_FOUND' });
    });
  }
});

describe('redis client-side cache', () => {
  it('a restore is served from the cache; another server changing a field, destroying it or destroying the user sessions is seen', async () => {
    const a = cached();
    const b = cached();
    await Promise.all([serving(a), serving(b)]);
    const id = sid();
    await b.new(id, new Value({ n: 1, keep: 'k' }));
    expect(await get(a, id, 'n')).toBe(1);
    const misses = a.cache!.stats().misses;
    expect(await get(a, id, 'n')).toBe(1);
    expect(a.cache!.stats().misses).toBe(misses);
    expect(a.cache!.stats().hits).toBeGreaterThan(0);
    expect(a.restoreSync(id, { touch: true })?.getValue().get('n')).toBe(1);

    // B changes a field.
    const sb = await b.restore(id);
    sb.getValue().set('n', 2);
    await sb.setValue(sb.getValue());
    await a.cache!.sync();
    expect(a.restoreSync(id, { touch: true })).toBeNull();
    expect(await get(a, id, 'n')).toBe(2);
    expect(await get(a, id, 'keep')).toBe('k');

    // B destroys it.
    await b.destroy(id);
    await a.cache!.sync();
    await expect(a.restore(id, { touch: true })).rejects.toMatchObject({ code: 'ERR_SESSION_NOT_FOUND' });

    // B destroys a user's sessions.
    const uid = sid();
    const user = 'user-1';
    await b.users.login(null, uid, new Value({ n: 3 }), { userId: user, loginAt: Date.now() }, { indexTtl: 0 });
    const restored = await a.restore(uid, { touch: true });
    expect(restored.getValue().get('n')).toBe(3);
    expect(a.restoreSync(uid, { touch: true })).not.toBeNull();
    const listed = await b.users.list(user, { indexTtl: 0 });
    expect(await b.users.destroy(user, listed.map((s) => s.ref))).toBe(1);
    await a.cache!.sync();
    await expect(a.restore(uid, { touch: true })).rejects.toMatchObject({ code: 'ERR_SESSION_NOT_FOUND' });
  });

  it('a session made by this server is cached at once (no read for its first returning request), and still invalidated by another', async () => {
    const a = cached();
    const b = cached();
    await Promise.all([serving(a), serving(b)]);
    const id = sid();
    await a.new(id, new Value({ n: 1 }));
    const misses = a.cache!.stats().misses;
    expect(a.restoreSync(id, { touch: true })?.getValue().get('n')).toBe(1);
    const sb = await b.restore(id);
    sb.getValue().set('n', 2);
    await sb.setValue(sb.getValue());
    await a.cache!.sync();
    expect(a.restoreSync(id, { touch: true })).toBeNull();
    expect(await get(a, id, 'n')).toBe(2);
    expect(a.cache!.stats().misses).toBe(misses + 1);
    // A duplicate ID is refused as without the cache, and caches nothing.
    await expect(a.new(id, new Value({ n: 9 }))).rejects.toMatchObject({ code: 'ERR_DUPLICATE_ID' });
    expect(a.restoreSync(id, { touch: true })?.getValue().get('n')).toBe(2);
  });

  it("with an ioredis keyPrefix on the clients, invalidations (which name Redis's full keys) still reach the copy", async () => {
    const ca = redisClient(server.port, { keyPrefix: 'app1:' });
    const cb = redisClient(server.port, { keyPrefix: 'app1:' });
    clients.push(ca, cb);
    const a = new RedisProvider(ca, { cache: { maxBytes: 1 << 20 } });
    const b = new RedisProvider(cb);
    providers.push(a);
    await serving(a);
    const id = sid();
    await b.new(id, new Value({ n: 1 }));
    expect(await get(a, id, 'n')).toBe(1);
    expect(a.restoreSync(id, { touch: true })).not.toBeNull();
    const sb = await b.restore(id);
    sb.getValue().set('n', 2);
    await sb.setValue(sb.getValue());
    await a.cache!.sync();
    expect(a.restoreSync(id, { touch: true })).toBeNull();
    expect(await get(a, id, 'n')).toBe(2);
  });

  it('the invalidation arrives by itself (an event), without a sync', async () => {
    const a = cached();
    const b = cached();
    await Promise.all([serving(a), serving(b)]);
    const id = sid();
    await b.new(id, new Value({ n: 1 }));
    expect(await get(a, id, 'n')).toBe(1);
    const dropped = nextInvalidation(a);
    const sb = await b.restore(id);
    sb.getValue().set('n', 5);
    await sb.setValue(sb.getValue());
    await dropped;
    expect(a.restoreSync(id, { touch: true })).toBeNull();
    expect(await get(a, id, 'n')).toBe(5);
  });

  it("the session's own saves keep the local copy, merged, with no extra read; another server's write still invalidates it", async () => {
    const a = cached();
    const b = cached();
    await Promise.all([serving(a), serving(b)]);
    const id = sid();
    await a.new(id, new Value({ n: 1, gone: true, other: 'x' }));
    await a.restore(id, { touch: true });
    for (let i = 2; i < 6; i++) {
      const s = a.restoreSync(id, { touch: true });
      expect(s).not.toBeNull();
      s!.getValue().set('n', i);
      s!.getValue().del('gone');
      await s!.setValue(s!.getValue());
    }
    const hit = a.restoreSync(id, { touch: true })!;
    expect(hit.getValue().toJSON()).toEqual({ n: 5, other: 'x' });
    // A save by B after A's saves: A hears of it (NOLOOP silences only A's own connection).
    const sb = await b.restore(id);
    sb.getValue().set('other', 'y');
    await sb.setValue(sb.getValue());
    await a.cache!.sync();
    expect(await get(a, id, 'other')).toBe('y');
    expect(await get(a, id, 'n')).toBe(5);
    // A whole replacement too.
    const s = await a.restore(id, { touch: true });
    await s.setValue(new Value({ only: 1 }));
    expect(a.restoreSync(id, { touch: true })!.getValue().toJSON()).toEqual({ only: 1 });
    // A's own destroy drops the copy at once (its broadcast comes later).
    await a.destroy(id);
    expect(a.restoreSync(id, { touch: true })).toBeNull();
    await expect(a.restore(id, { touch: true })).rejects.toMatchObject({ code: 'ERR_SESSION_NOT_FOUND' });
  });

  it('with touchAfter 0 every restore with touch slides the TTL (a fill), and the key stays tracked: another write is still seen', async () => {
    const a = new RedisProvider(client(), { ttl: 600, touchAfter: 0, prefix: 'c:', cache: { maxBytes: 1 << 20 } });
    providers.push(a);
    const b = cached();
    await Promise.all([serving(a), serving(b)]);
    const id = sid();
    await b.new(id, new Value({ n: 1 }));
    for (let i = 0; i < 3; i++) expect(await get(a, id, 'n')).toBe(1);
    expect(a.restoreSync(id, { touch: true })).toBeNull(); // due a slide: never answered locally
    expect(a.restoreSync(id)?.getValue().get('n')).toBe(1); // without touch: local
    const sb = await b.restore(id);
    sb.getValue().set('n', 2);
    await sb.setValue(sb.getValue());
    await a.cache!.sync();
    expect(a.restoreSync(id)).toBeNull();
    expect(await get(a, id, 'n')).toBe(2);
  });

  it('a cached read-only restore within touchAfter sends 0 commands (INFO commandstats); past touchAfter, one script that reads and slides', async () => {
    const own = await startRedis();
    try {
      const inspect = client(own.port);
      // ttl 20: touchAfter defaults to 2 s.
      const a = new RedisProvider(client(own.port), { ttl: 20, cache: { maxBytes: 1 << 20, heartbeat: 600_000 } });
      providers.push(a);
      expect(a.touchAfter).toBe(2);
      await serving(a);
      const id = sid();
      await a.new(id, new Value({ n: 1 }));
      await a.restore(id, { touch: true });
      await expect(a.restore(sid(), { touch: true })).rejects.toMatchObject({ code: 'ERR_SESSION_NOT_FOUND' }); // loads the read script
      await inspect.config('RESETSTAT');
      for (let i = 0; i < 20; i++) expect((await a.restore(id, { touch: true })).getValue().get('n')).toBe(1);
      for (let i = 0; i < 20; i++) expect(a.restoreSync(id, { touch: true })?.getValue().get('n')).toBe(1);
      expect(await commandCalls(inspect)).toEqual({});
      // Past touchAfter the TTL is slid by one script (which reads the record again), and then nothing again.
      await new Promise((r) => setTimeout(r, 2100));
      await a.restore(id, { touch: true });
      await a.restore(id, { touch: true });
      expect(await commandCalls(inspect)).toEqual({ evalsha: 1, hgetall: 1, ttl: 1, expire: 1, pttl: 1 });
      expect(await inspect.ttl(a.keyFor(id))).toBeGreaterThan(17);
    } finally {
      await own.dispose();
    }
  });

  it('a cached read-only HTTP request through Session sends 0 commands', async () => {
    const own = await startRedis();
    const a = new RedisProvider(client(own.port), { cache: { maxBytes: 1 << 20, heartbeat: 600_000 } });
    providers.push(a);
    const session = new Session(a, { cookieSecret: 'a-test-secret-that-is-long-enough-0123456789', backend: 'node' });
    const inspect = client(own.port);
    const app = await listen(async (req, res) => {
      const store = await session.start(req, res);
      const v = store.getValue();
      if (req.url === '/write') v.set('n', v.int('n') + 1);
      res.end(String(v.int('n')));
    });
    try {
      expect(a.touchAfter).toBe(180); // a tenth of the default sessionExpire (1800)
      await serving(a);
      const browser = new Client(app.url);
      expect((await browser.get('/write')).body).toBe('1');
      expect((await browser.get('/write')).body).toBe('2');
      expect((await browser.get('/read')).body).toBe('2');
      await inspect.config('RESETSTAT');
      for (let i = 0; i < 10; i++) expect((await browser.get('/read')).body).toBe('2');
      expect(await commandCalls(inspect)).toEqual({});
      // A read+change: the save only (the copy stays, merged).
      expect((await browser.get('/write')).body).toBe('3');
      expect((await browser.get('/read')).body).toBe('3');
      // The save script only (its commands inside it counted too), no read.
      // No EXPIRE: the session's TTL was set (stamped) less than touchAfter ago.
      expect(await commandCalls(inspect)).toEqual({ evalsha: 1, hmget: 1, hset: 1, exists: 1 });
    } finally {
      await app.close();
      a.cache?.close();
      await own.dispose();
    }
  });

  it('CLIENT KILL of the invalidation connection or of the data connection flushes the cache; no stale read; serving again after', async () => {
    const a = cached();
    const b = cached();
    await Promise.all([serving(a), serving(b)]);
    const admin = client();
    for (const name of ['wasm-session-invalidate', 'wasm-session-cache']) {
      const id = sid();
      await b.new(id, new Value({ n: 1 }));
      expect(await get(a, id, 'n')).toBe(1);
      const flushes = a.cache!.stats().flushes;
      const flushesB = b.cache!.stats().flushes;
      const list = (await admin.client('LIST')) as string;
      // A's connection of that name: the one whose client ID is not B's (B's was named too; kill A's by address of A's client ID list).
      const ids = [...list.matchAll(new RegExp(`id=(\\d+) .*name=${name} `, 'g'))].map((m) => m[1]);
      expect(ids.length).toBe(2);
      const flushed = Promise.all([flushedAfter(a, flushes), flushedAfter(b, flushesB)]);
      // Kill both providers' connections of that name: A's is among them.
      for (const cid of ids) await admin.client('KILL', 'ID', cid!);
      // Both have seen the kill: B's save below goes around its dead connection (a command already in
      // flight on a connection that dies is a typed ERR_STORE_UNAVAILABLE on a client that does not
      // resend it, node-redis: not this test's subject).
      await flushed;
      // B writes while A's tracking is off or being set up again.
      const sb = await b.restore(id);
      sb.getValue().set('n', 2);
      await sb.setValue(sb.getValue());
      expect(await get(a, id, 'n')).toBe(2);
      // Tracking comes back, and with it invalidations.
      await Promise.all([serving(a), serving(b)]);
      expect(await get(a, id, 'n')).toBe(2);
      const sb2 = await b.restore(id);
      sb2.getValue().set('n', 3);
      await sb2.setValue(sb2.getValue());
      await a.cache!.sync();
      expect(await get(a, id, 'n')).toBe(3);
    }
  });

  it('a fill in flight when its key is invalidated is not kept; a fill racing a write never leaves a stale copy', async () => {
    const a = cached();
    const b = cached({ patient: true, timeout: 30_000 });
    await Promise.all([serving(a), serving(b)]);
    const id = sid();
    await b.new(id, new Value({ n: 0 }));
    const inFlight = a.restore(id, { touch: true });
    a.cache!.drop(a.keyFor(id)); // as an invalidation arriving before the reply
    expect((await inFlight).getValue().get('n')).toBe(0);
    expect(a.restoreSync(id, { touch: true })).toBeNull();

    // The real race, a few times: A's read and B's write queued on a frozen server, then released together.
    const own = await startRedis();
    try {
      const a2 = cached({ port: own.port, heartbeat: 60_000, timeout: 30_000, patient: true });
      const b2 = cached({ port: own.port, timeout: 30_000, patient: true });
      await Promise.all([serving(a2), serving(b2)]);
      for (let i = 1; i <= 5; i++) {
        const rid = sid();
        await b2.new(rid, new Value({ n: 0 }));
        const sb = await b2.restore(rid);
        sb.getValue().set('n', i);
        await own.freeze();
        const read = a2.restore(rid, { touch: true });
        const write = sb.setValue(sb.getValue());
        own.signal('SIGCONT');
        await Promise.all([read, write]);
        await a2.cache!.sync();
        const local = a2.restoreSync(rid, { touch: true });
        if (local !== null) expect(local.getValue().get('n')).toBe(i);
        expect(await get(a2, rid, 'n')).toBe(i);
      }
    } finally {
      await own.dispose();
    }
  });

  it('FLUSHALL from another client empties the cache', async () => {
    const a = cached();
    await serving(a);
    const id = sid();
    await a.new(id, new Value({ n: 1 }));
    expect(await get(a, id, 'n')).toBe(1);
    expect(a.restoreSync(id, { touch: true })).not.toBeNull();
    await client().flushall();
    await a.cache!.sync();
    expect(a.restoreSync(id, { touch: true })).toBeNull();
    await expect(a.restore(id, { touch: true })).rejects.toMatchObject({ code: 'ERR_SESSION_NOT_FOUND' });
  });

  it('a frozen server (SIGSTOP/SIGCONT): a write that lands after the thaw is seen; no stale read', async () => {
    const own = await startRedis();
    try {
      const a = cached({ port: own.port, heartbeat: 100, timeout: 1000 });
      const b = cached({ port: own.port, timeout: 30_000, patient: true });
      await Promise.all([serving(a), serving(b)]);
      const id = sid();
      await b.new(id, new Value({ n: 1 }));
      expect(await get(a, id, 'n')).toBe(1);
      const sb = await b.restore(id);
      const flushes = a.cache!.stats().flushes;
      await own.freeze();
      sb.getValue().set('n', 2);
      const saving = sb.setValue(sb.getValue());
      // Frozen: the heartbeat goes unanswered, so A stops serving from the cache (its reads go to the frozen server).
      await flushedAfter(a, flushes);
      expect(a.restoreSync(id, { touch: true })).toBeNull();
      await expect(a.restore(id, { touch: true })).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
      own.signal('SIGCONT');
      await saving;
      await serving(a);
      expect(await get(a, id, 'n')).toBe(2);
    } finally {
      await own.dispose();
    }
  });

  it('a restart with an empty dataset: no record served from the cache', async () => {
    const own = await startRedis();
    try {
      const a = cached({ port: own.port });
      await serving(a);
      const id = sid();
      await a.new(id, new Value({ n: 1 }));
      expect(await get(a, id, 'n')).toBe(1);
      const flushes = a.cache!.stats().flushes;
      const flushed = flushedAfter(a, flushes);
      await own.stop();
      await flushed;
      expect(a.restoreSync(id, { touch: true })).toBeNull();
      await own.start();
      await serving(a);
      await expect(a.restore(id, { touch: true })).rejects.toMatchObject({ code: 'ERR_SESSION_NOT_FOUND' });
      // And it caches again.
      await a.new(id, new Value({ n: 7 }));
      // The miss above tracked the key, so the new record's invalidation comes; let it pass before caching.
      await a.cache!.sync();
      expect(await get(a, id, 'n')).toBe(7);
      expect(a.restoreSync(id, { touch: true })?.getValue().get('n')).toBe(7);
    } finally {
      await own.dispose();
    }
  });

  it('the byte bound holds with 100k sessions', async () => {
    const maxBytes = 2 << 20;
    // A long heartbeat: a loaded event loop would otherwise stall the ping past a beat and bypass the cache (as it should).
    const a = cached({ maxBytes, prefix: 'big:', heartbeat: 600_000, ttl: 0, patient: true, timeout: 60_000 });
    await serving(a);
    // Raw bulk writes through an ioredis pipeline, whatever client the provider has.
    const writer = makeRedisClient(server.port, {}, 'ioredis');
    writer.on('error', () => {});
    clients.push(writer);
    const n = 100_000;
    const ids = Array.from({ length: n }, (_, i) => `big-${i}`);
    const payload = JSON.stringify('x'.repeat(100));
    for (let i = 0; i < n; i += 2000) {
      const pipe = writer.pipeline();
      for (const id of ids.slice(i, i + 2000)) pipe.hset(a.keyFor(id), '__ws', '1', 'p', payload);
      await pipe.exec();
    }
    let maxSeen = 0;
    for (let i = 0; i < n; i += 1000) {
      await Promise.all(ids.slice(i, i + 1000).map((id) => a.restore(id)));
      maxSeen = Math.max(maxSeen, a.cache!.stats().bytes);
    }
    const stats = a.cache!.stats();
    expect(stats.misses).toBe(n);
    expect(maxSeen).toBeLessThanOrEqual(maxBytes);
    expect(stats.bytes).toBeGreaterThan(maxBytes / 2);
    expect(stats.entries).toBeLessThan(n / 4);
    // The most recent are still there; the first are gone.
    expect(a.restoreSync(ids[n - 1]!, { touch: true })?.getValue().get('p')).toBe('x'.repeat(100));
    expect(a.restoreSync(ids[0]!, { touch: true })).toBeNull();
    await writer.flushall();
  }, 180_000);

  it('touchAfter defaults to a tenth of the TTL (the Session\'s sessionExpire when the provider has no ttl); the Session\'s touchAfter, then the provider\'s own, win', () => {
    expect(new RedisProvider(client()).touchAfter).toBe(180); // FALLBACK_TTL 1800
    const fromSession = new RedisProvider(client());
    new Session(fromSession, { cookieSecret: 'a-test-secret-that-is-long-enough-0123456789', sessionExpire: 600 });
    expect(fromSession.touchAfter).toBe(60);
    expect(new RedisProvider(client(), { ttl: 45 }).touchAfter).toBe(4);
    expect(new RedisProvider(client(), { ttl: 5 }).touchAfter).toBe(0);
    const sessionWide = new RedisProvider(client());
    new Session(sessionWide, { cookieSecret: 'a-test-secret-that-is-long-enough-0123456789', sessionExpire: 600, touchAfter: 5 });
    expect(sessionWide.touchAfter).toBe(5);
    expect(() => new Session(new RedisProvider(client()), { cookieSecret: 'a-test-secret-that-is-long-enough-0123456789', sessionExpire: 600, touchAfter: 600 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }),
    );
    const explicit = new RedisProvider(client(), { touchAfter: 0 });
    new Session(explicit, { cookieSecret: 'a-test-secret-that-is-long-enough-0123456789', sessionExpire: 600, touchAfter: 30 });
    expect(explicit.touchAfter).toBe(0);
  });

  it('rejects bad cache options with ERR_INVALID_CONFIG', () => {
    for (const cache of [{ maxBytes: 0 }, { maxBytes: 1.5 }, { maxBytes: 1 << 20, heartbeat: 0 }]) {
      expect(() => new RedisProvider(client(), { cache })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }));
    }
  });
});
