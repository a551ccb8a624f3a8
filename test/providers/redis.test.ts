import { describe, expect, it } from 'vitest';
import { Value } from '../../src/manager/value.js';
import { Session } from '../../src/index.js';
import { ALIAS_FIELD, MARKER_FIELD, RedisProvider } from '../../src/providers/redis/provider.js';
import { providerSuite } from './provider-suite.js';
import { commandsDuring as serverCalls, recommendedRedisOptions, redisClient, redisFixture, redisPerFile, sid } from './fixtures.js';
import { redisEngine } from '../helpers/servers.js';

const redis = redisPerFile();
/** Valkey >= 9.1: saves within touchAfter are Lua-free (WS_REDIS_ENGINE=valkey in the matrix). */
const valkey = redisEngine() === 'valkey';

providerSuite('redis (single server)', () => redisFixture(redis.client));

/** The marker's value: a Unix time in seconds (when the TTL runs out, as last set). */
const STAMP = expect.stringMatching(/^\d{10}$/);

describe('redis specifics', () => {
  it('keeps one hash per session: a JSON field per key plus the marker', async () => {
    const p = new RedisProvider(redis.client, { ttl: 60 });
    const id = sid();
    await p.new(id, new Value({ user: { id: 1 }, n: 2 }));
    expect(await redis.client.type(p.keyFor(id))).toBe('hash');
    expect(await redis.client.hgetall(p.keyFor(id))).toEqual({ [MARKER_FIELD]: STAMP, user: '{"id":1}', n: '2' });
    // The marker holds when the TTL runs out, as last set (Unix seconds).
    const stamp = Number(await redis.client.hget(p.keyFor(id), MARKER_FIELD));
    expect(Math.abs(stamp - (Math.floor(Date.now() / 1000) + 60))).toBeLessThanOrEqual(2);
    const back = (await p.restore(id)).getValue();
    expect(back.has(MARKER_FIELD)).toBe(false);
  });

  it(`rejects the reserved key "${MARKER_FIELD}" with ERR_INVALID_KEY`, async () => {
    const p = new RedisProvider(redis.client, { ttl: 60 });
    await expect(p.new(sid(), new Value({ [MARKER_FIELD]: 1 }))).rejects.toMatchObject({ code: 'ERR_INVALID_KEY' });
    const s = await p.new(sid());
    s.getValue().set(MARKER_FIELD, 'x');
    await expect(s.setValue(s.getValue())).rejects.toMatchObject({ code: 'ERR_INVALID_KEY' });
  });

  it('two writers on one session keep each other\'s changes (per-field writes)', async () => {
    const p = new RedisProvider(redis.client, { ttl: 60 });
    const id = sid();
    await p.new(id, new Value({ a: 1, b: 2, c: 3 }));
    const s1 = await p.restore(id);
    const s2 = await p.restore(id);
    s1.getValue().set('a', 10).set('x', 'from 1');
    s2.getValue().del('b');
    s2.getValue().set('y', 'from 2');
    await s1.setValue(s1.getValue());
    await s2.setValue(s2.getValue());
    expect((await p.restore(id)).getValue().toJSON()).toEqual({ a: 10, c: 3, x: 'from 1', y: 'from 2' });
  });

  it('restore with touch, save and new are one round trip each', async () => {
    const p = new RedisProvider(redis.client, { ttl: 60, touchAfter: 0 }); // every touch slides: the one-script restore
    const id = sid();
    await p.new(id, new Value({ warm: 1 })); // loads the scripts
    const s = await p.restore(id, { touch: true });
    // Counted by the server (INFO commandstats), whatever the client: one EVALSHA each, and only what its script runs.
    expect(await commandsDuring(() => p.restore(id, { touch: true }))).toEqual({ evalsha: 1, hgetall: 1, expire: 1 });
    s.getValue().set('a', 1).set('b', 2);
    s.getValue().del('warm');
    expect(await commandsDuring(() => s.setValue(s.getValue()))).toEqual({ evalsha: 1, hmget: 1, hset: 1, hdel: 1, expire: 1 });
    expect(await commandsDuring(() => p.new(sid(), new Value({ a: 1 })))).toEqual({ evalsha: 1, exists: 1, hset: 1, expire: 1 });
  });

  it('several providers (different prefixes) share one client', async () => {
    const a = new RedisProvider(redis.client, { prefix: 'a:', ttl: 60 });
    const b = new RedisProvider(redis.client, { prefix: 'b:', ttl: 60 });
    const id = sid();
    await a.new(id, new Value({ from: 'a' }));
    await b.new(id, new Value({ from: 'b' }));
    expect((await a.restore(id)).getValue().get('from')).toBe('a');
    expect((await b.restore(id)).getValue().get('from')).toBe('b');
  });

  it('rejects bad options with ERR_INVALID_CONFIG', () => {
    expect(() => new RedisProvider(redis.client, { ttl: -1 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }));
    expect(() => new RedisProvider(redis.client, { ttl: 1.5 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }));
    expect(() => new RedisProvider(redis.client, { timeout: -5 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }));
  });
  const commandsDuring = (op: () => Promise<unknown>): Promise<Record<string, number>> => serverCalls(redis.client, op);

  it('server side, a restore with touch is HGETALL + EXPIRE and a save of changes HMGET + HSET + HDEL + EXPIRE', async () => {
    const p = new RedisProvider(redis.client, { ttl: 60, touchAfter: 0 });
    const id = sid();
    await p.new(id, new Value({ a: 1, b: 2 }));
    let s = await p.restore(id, { touch: true }); // loads the scripts
    expect(await commandsDuring(async () => (s = await p.restore(id, { touch: true })))).toEqual({ evalsha: 1, hgetall: 1, expire: 1 });
    s.getValue().set('a', 3).set('c', 4).del('b');
    expect(await commandsDuring(() => s.setValue(s.getValue()))).toEqual({ evalsha: 1, hmget: 1, hset: 1, hdel: 1, expire: 1 });
    expect(await redis.client.hgetall(p.keyFor(id))).toEqual({ [MARKER_FIELD]: STAMP, a: '3', c: '4' });
    // Changes only (nothing deleted): the smaller script, still HMGET + HSET + EXPIRE.
    s.getValue().set('a', 5);
    await redis.client.expire(p.keyFor(id), 10);
    expect(await commandsDuring(() => s.setValue(s.getValue()))).toEqual({ evalsha: 1, hmget: 1, hset: 1, expire: 1 });
    expect(await redis.client.ttl(p.keyFor(id))).toBeGreaterThan(50);
    expect(await redis.client.hgetall(p.keyFor(id))).toEqual({ [MARKER_FIELD]: STAMP, a: '5', c: '4' });
    // Into a renewal alias: answers the alias (the manager redirects the save), and writes nothing.
    await redis.client.hset(p.keyFor(id), ALIAS_FIELD, 'sealed-target');
    s.getValue().set('a', 6);
    await expect(s.setValue(s.getValue())).rejects.toMatchObject({ code: 'ERR_SESSION_MOVED' });
    expect(await redis.client.hget(p.keyFor(id), 'a')).toBe('5');
  });

  it('saves and creates sessions of thousands of fields (the scripts chunk their HSET/HDEL arguments)', async () => {
    const p = new RedisProvider(redis.client, { ttl: 60 });
    const id = sid();
    const many = (n: number, tag: string): Record<string, string> => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, `${tag}${i}`]));
    await p.new(id, new Value(many(3000, 'v')));
    const s = await p.restore(id, { touch: true });
    for (let i = 0; i < 3000; i++) {
      if (i % 2 === 0) s.getValue().set(`k${i}`, `w${i}`);
      else s.getValue().del(`k${i}`);
    }
    await s.setValue(s.getValue());
    const back = (await p.restore(id)).getValue();
    expect(back.size).toBe(1500);
    expect(back.get('k2998')).toBe('w2998');
    expect(back.has('k2999')).toBe(false);
    const replaced = new Value(many(2500, 'x'));
    await s.setValue(replaced); // a whole replacement
    expect((await p.restore(id)).getValue().toJSON()).toEqual(many(2500, 'x'));
  });

  it('a record without the marker (not written by this library) still saves, and gets the marker', async () => {
    const p = new RedisProvider(redis.client, { ttl: 60 });
    const id = sid();
    await redis.client.hset(p.keyFor(id), 'a', '1');
    const s = await p.restore(id, { touch: true });
    s.getValue().set('b', 2);
    await s.setValue(s.getValue());
    expect(await redis.client.hgetall(p.keyFor(id))).toEqual({ [MARKER_FIELD]: STAMP, a: '1', b: '2' });
    expect(await redis.client.ttl(p.keyFor(id))).toBeGreaterThan(50);
  });

  it('a save into a session destroyed meanwhile rejects and writes nothing', async () => {
    const p = new RedisProvider(redis.client, { ttl: 60 });
    const id = sid();
    await p.new(id, new Value({ a: 1 }));
    const s = await p.restore(id);
    await p.destroy(id);
    s.getValue().set('b', 2);
    await expect(s.setValue(s.getValue())).rejects.toMatchObject({ code: 'ERR_SESSION_NOT_FOUND' });
    await expect(s.setValue(new Value({ c: 3 }))).rejects.toMatchObject({ code: 'ERR_SESSION_NOT_FOUND' });
    expect(await redis.client.exists(p.keyFor(id))).toBe(0);
  });

  describe('touchAfter', () => {
    it('a restore with touch is one plain HGETALL until the marker says the TTL was set touchAfter ago, then slides once', async () => {
      const p = new RedisProvider(redis.client, { ttl: 1000, touchAfter: 100 });
      const id = sid();
      const key = p.keyFor(id);
      await p.new(id, new Value({ a: 1 }));
      // As if the TTL was set 900 s ago: 100 s left of 1000.
      const setLongAgo = async (): Promise<void> => {
        await redis.client.hset(key, MARKER_FIELD, String(Math.floor(Date.now() / 1000) + 100));
        await redis.client.expire(key, 100);
      };
      await setLongAgo();
      await p.restore(id, { touch: true }); // due: slides (and loads the script)
      expect(await redis.client.ttl(key)).toBeGreaterThan(900);
      // Just slid: not due, one plain read and no write.
      expect(await commandsDuring(() => p.restore(id, { touch: true }))).toEqual({ hgetall: 1 });
      await setLongAgo();
      expect(await commandsDuring(() => p.restore(id, { touch: true }))).toEqual({ hgetall: 1, evalsha: 1, hmget: 1, expire: 1, hset: 1 });
      expect(await redis.client.ttl(key)).toBeGreaterThan(900);
      expect(Number(await redis.client.hget(key, MARKER_FIELD))).toBeGreaterThan(Math.floor(Date.now() / 1000) + 990);
      // A save within touchAfter writes the fields only (on Valkey >= 9.1 with no Lua: HSETEX XX and a read
      // of the alias field in one MULTI); a save when due slides the TTL too (the script, on either engine).
      let s = await p.restore(id);
      s.getValue().set('a', 2);
      expect(await commandsDuring(() => s.setValue(s.getValue()))).toEqual(
        valkey ? { multi: 1, hsetex: 1, hget: 1, exec: 1 } : { evalsha: 1, hmget: 1, hset: 1 },
      );
      await setLongAgo();
      s = await p.restore(id);
      s.getValue().set('a', 3);
      expect(await commandsDuring(() => s.setValue(s.getValue()))).toEqual({ evalsha: 1, hmget: 1, hset: 1, expire: 1 });
      expect(await redis.client.ttl(key)).toBeGreaterThan(900);
      expect((await p.restore(id)).getValue().get('a')).toBe(3);
      // A record of an older version (marker '1': unknown) slides on its first touch.
      await redis.client.hset(key, MARKER_FIELD, '1');
      await redis.client.expire(key, 100);
      await p.restore(id, { touch: true });
      expect(await redis.client.ttl(key)).toBeGreaterThan(900);
    });

    it('a record with no TTL is given one; unknown IDs and corrupt records answer as without touchAfter', async () => {
      const p = new RedisProvider(redis.client, { ttl: 60, touchAfter: 30 });
      const id = sid();
      await new RedisProvider(redis.client, { ttl: 0 }).new(id, new Value({ a: 1 }));
      await p.restore(id, { touch: true });
      expect(await redis.client.ttl(p.keyFor(id))).toBeGreaterThan(50);
      await expect(p.restore(sid(), { touch: true })).rejects.toMatchObject({ code: 'ERR_SESSION_NOT_FOUND' });
      const bad = sid();
      await redis.client.hset(p.keyFor(bad), MARKER_FIELD, '1', 'user', '{broken');
      await expect(p.restore(bad, { touch: true })).rejects.toMatchObject({ code: 'ERR_CORRUPT_RECORD' });
      expect(await redis.client.hgetall(p.keyFor(bad))).toEqual({ [MARKER_FIELD]: '1', user: '{broken' });
    });

    it('a renewal alias keeps its grace TTL (with and without touchAfter)', async () => {
      for (const touchAfter of [0, 10]) {
        const p = new RedisProvider(redis.client, { ttl: 1000, touchAfter });
        const id = sid();
        await p.new(id, new Value({ a: 1 }));
        await redis.client.hset(p.keyFor(id), ALIAS_FIELD, 'sealed-target');
        await redis.client.expire(p.keyFor(id), 5);
        await p.restore(id, { touch: true });
        expect(await redis.client.ttl(p.keyFor(id))).toBeLessThanOrEqual(5);
      }
    });

    it('rejects a touchAfter that is not a whole number of seconds below the TTL with ERR_INVALID_CONFIG', () => {
      for (const touchAfter of [-1, 1.5, Number.NaN]) {
        expect(() => new RedisProvider(redis.client, { touchAfter })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }));
      }
      expect(() => new RedisProvider(redis.client, { ttl: 60, touchAfter: 60 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }));
      expect(() => new RedisProvider(redis.client, { ttl: 0, touchAfter: 60 })).not.toThrow();
      // The TTL from the Session's sessionExpire is checked too.
      const secret = 'a test secret of at least 32 characters';
      expect(() => new Session(new RedisProvider(redis.client, { touchAfter: 600 }), { cookieSecret: secret, sessionExpire: 300 })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }),
      );
      expect(() => new Session(new RedisProvider(redis.client, { touchAfter: 60 }), { cookieSecret: secret, sessionExpire: 300 })).not.toThrow();
    });
  });
});

describe('the Lua-free save (Valkey >= 9.1; on Redis the script)', () => {
  // ttl 1000, touchAfter 100: a session just written is within touchAfter, so its saves need no slide.
  const make = (options: { saveWith?: 'auto' | 'lua' } = {}): RedisProvider => new RedisProvider(redis.client, { ttl: 1000, touchAfter: 100, ...options });

  it(`is ${valkey ? 'used' : 'not used'} on this engine (${redisEngine()}); saveWith 'lua' keeps the script anywhere`, async () => {
    const counts = async (p: RedisProvider): Promise<number> => {
      const id = sid();
      await p.new(id, new Value({ a: 1 }));
      const s = await p.restore(id);
      s.getValue().set('a', 2);
      await s.setValue(s.getValue()); // the first save asks the engine (INFO server) once
      const before = Number(/cmdstat_evalsha:calls=(\d+)/.exec(await redis.client.info('commandstats'))?.[1] ?? 0);
      const again = await p.restore(id);
      again.getValue().set('a', 3);
      await again.setValue(again.getValue());
      expect((await p.restore(id)).getValue().get('a')).toBe(3);
      return Number(/cmdstat_evalsha:calls=(\d+)/.exec(await redis.client.info('commandstats'))?.[1] ?? 0) - before;
    };
    expect(await counts(make())).toBe(valkey ? 0 : 1);
    expect(await counts(make({ saveWith: 'lua' }))).toBe(1);
    expect(() => new RedisProvider(redis.client, { saveWith: 'fast' as 'lua' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }));
  });

  it('no resurrection: a save into a session destroyed or expired meanwhile rejects and creates nothing', async () => {
    const p = make();
    for (const end of ['destroy', 'expire'] as const) {
      const id = sid();
      await p.new(id, new Value({ a: 1 }));
      const s = await p.restore(id);
      if (end === 'destroy') await p.destroy(id);
      else await redis.client.del(p.keyFor(id)); // what an expiry leaves
      s.getValue().set('b', 2).del('a');
      await expect(s.setValue(s.getValue())).rejects.toMatchObject({ code: 'ERR_SESSION_NOT_FOUND' });
      expect(await redis.client.exists(p.keyFor(id))).toBe(0);
    }
  });

  it('into a renewal alias: ERR_SESSION_MOVED naming it, and the alias keeps its TTL (its grace is not stretched)', async () => {
    const p = make();
    const id = sid();
    await p.new(id, new Value({ a: 1 }));
    const s = await p.restore(id);
    await redis.client.hset(p.keyFor(id), ALIAS_FIELD, 'sealed-target');
    await redis.client.expire(p.keyFor(id), 5);
    s.getValue().set('a', 2);
    await expect(s.setValue(s.getValue())).rejects.toMatchObject({ code: 'ERR_SESSION_MOVED', alias: 'sealed-target' });
    expect(await redis.client.ttl(p.keyFor(id))).toBeLessThanOrEqual(5);
  });

  it('two requests changing different fields of one session: both kept (per-field merge), deletes too', async () => {
    const p = make();
    const id = sid();
    await p.new(id, new Value({ a: 1, b: 2, c: 3 }));
    const [s1, s2] = await Promise.all([p.restore(id), p.restore(id)]);
    s1.getValue().set('a', 10).set('x', 'one');
    s2.getValue().set('y', 'two').del('b');
    await Promise.all([s1.setValue(s1.getValue()), s2.setValue(s2.getValue())]);
    expect((await p.restore(id)).getValue().toJSON()).toEqual({ a: 10, c: 3, x: 'one', y: 'two' });
    // A save that only deletes.
    const s3 = await p.restore(id);
    s3.getValue().del('x');
    s3.getValue().del('y');
    await s3.setValue(s3.getValue());
    expect((await p.restore(id)).getValue().toJSON()).toEqual({ a: 10, c: 3 });
    expect(await redis.client.ttl(p.keyFor(id))).toBeGreaterThan(900);
  });

  it('a key of another type is a corrupt record, not a 500', async () => {
    const p = make();
    const id = sid();
    await p.new(id, new Value({ a: 1 }));
    const s = await p.restore(id);
    await redis.client.set(p.keyFor(id), 'not a hash');
    s.getValue().set('a', 2);
    await expect(s.setValue(s.getValue())).rejects.toMatchObject({ code: 'ERR_CORRUPT_RECORD' });
  });
});

describe('a client that pipelines a tick (ioredis enableAutoPipelining, as the docs recommend; node-redis always)', () => {
  it('new, restore, save, refresh, records and the cache, many calls in one tick, from a fresh client', async () => {
    // A fresh client: its first calls are the ones that must find the scripts in the tick's pipeline.
    const c = redisClient(redis.server.port, { ...recommendedRedisOptions, enableAutoPipelining: true });
    const providers: RedisProvider[] = [];
    try {
      for (const cache of [false, true]) {
        const p = new RedisProvider(c, { ttl: 60, prefix: `ap${cache ? 'c' : ''}:`, ...(cache ? { cache: { maxBytes: 1 << 20 } } : {}) });
        providers.push(p);
        if (cache) await p.cache!.sync(15_000);
        const ids = Array.from({ length: 20 }, () => sid());
        await Promise.all(ids.map((id, i) => p.new(id, new Value({ i }))));
        const restored = await Promise.all(ids.map((id) => p.restore(id, { touch: true })));
        restored.forEach((s, i) => s.getValue().set('j', i * 2));
        await Promise.all(restored.map((s) => s.setValue(s.getValue())));
        const moved = await Promise.all(ids.map(async (id) => (await p.refresh(id, sid())).getValue().toJSON()));
        expect(moved).toEqual(ids.map((_, i) => ({ i, j: i * 2 })));
        expect(await Promise.all(ids.map((id, i) => p.records.put(`r-${id}`, String(i), null, 60)))).toEqual(ids.map(() => true));
        expect((await p.records.get(`r-${ids[3]}`))?.text).toBe('3');
      }
    } finally {
      for (const p of providers) p.cache?.close();
      c.disconnect();
    }
  });
});
