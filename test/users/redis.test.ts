/** User sessions on a real Redis, plus the index layout and its TTL. */
import { describe, expect, it } from 'vitest';
import { Session } from '../../src/session/session.js';
import { RedisProvider } from '../../src/providers/redis/provider.js';
import { commandsDuring, redisPerFile } from '../providers/fixtures.js';
import { redisEngine } from '../helpers/servers.js';
import { SECRET, fakeRes, usersSuite } from './suite.js';

const redis = redisPerFile();
let n = 0;

usersSuite('redis', { provider: (ttl) => new RedisProvider(redis.client, { prefix: `u${++n}:`, ...(ttl === undefined ? {} : { ttl }) }), perKeyMerge: true,
  shortTtl: 5, // every login must land well inside it, on a loaded machine too (1 s let the first ones expire before the listing)
  indexSize: async (p, userId) => redis.client.hlen((p as RedisProvider).indexKey(userId)),
});

// The same with the client-side cache on (its connections end with the file's client).
usersSuite('redis + client-side cache', { provider: (ttl) => new RedisProvider(redis.client, { prefix: `uc${++n}:`, cache: { maxBytes: 1 << 20 }, ...(ttl === undefined ? {} : { ttl }) }), perKeyMerge: true,
  shortTtl: 5,
  indexSize: async (p, userId) => redis.client.hlen((p as RedisProvider).indexKey(userId)),
});

describe('redis user index layout', () => {
  it('one hash per user, keyed by session key hashes (no usable ID), with the TTL of cookieExpire', async () => {
    const p = new RedisProvider(redis.client, { prefix: 'layout:' });
    const s = new Session(p, { cookieSecret: SECRET, backend: 'node', cookieExpire: 3600 });
    const store = await s.login({ headers: {} }, fakeRes(), 'user-1', { label: 'Firefox' });
    const index = await redis.client.hgetall(p.indexKey('user-1'));
    expect(p.indexKey('user-1')).toMatch(/^layout:user:[0-9a-f]{64}$/);
    expect(Object.keys(index)).toEqual([p.keyFor(store.sessionID()).slice('layout:'.length)]);
    expect(JSON.stringify(index)).not.toContain(store.sessionID());
    expect(JSON.parse(Object.values(index)[0]!)).toMatchObject({ l: 'Firefox' });
    const ttl = await redis.client.ttl(p.indexKey('user-1'));
    expect(ttl).toBeGreaterThan(3500);
    expect(ttl).toBeLessThanOrEqual(3600);
    // the binding lives in the session's own hash
    expect(JSON.parse((await redis.client.hget(p.keyFor(store.sessionID()), '__wsm'))!)).toMatchObject({ u: 'user-1' });
  });

  it('reserves the metadata fields', async () => {
    const p = new RedisProvider(redis.client, { prefix: 'reserved:' });
    const s = new Session(p, { cookieSecret: SECRET, backend: 'node' });
    s.on('error', () => {});
    const res = fakeRes();
    const store = await s.start({ headers: {} }, res);
    store.getValue().set('__wsm', 1);
    await expect(store.save()).rejects.toMatchObject({ code: 'ERR_INVALID_KEY' });
  });
});

describe('redis: what a user-bound session costs per request', () => {
  it('a returning request costs what an anonymous one does: one HGETALL, plus one script (Valkey: one MULTI) when it changed something', async () => {
    const p = new RedisProvider(redis.client, { prefix: 'cost:' });
    const s = new Session(p, { cookieSecret: SECRET, backend: 'node' });
    const res = fakeRes();
    await s.login({ headers: {} }, res, 'cost-user');
    const cookie = (res.getHeader('set-cookie') as string[])[0]!.split(';')[0]!;
    // Counted by the server (INFO commandstats), whatever the client: the restore is one HGETALL, the save one
    // script (on Valkey >= 9.1 one MULTI with no Lua), exactly as for an anonymous session.
    const during = (op: () => Promise<unknown>): Promise<Record<string, number>> => commandsDuring(redis.client, op, true);
    let store!: Awaited<ReturnType<typeof s.start>>;
    expect(await during(async () => (store = await s.start({ headers: { cookie } }, fakeRes())))).toEqual({ hgetall: 1 });
    expect(store.userId()).toBe('cost-user');
    store.getValue().set('n', 1);
    expect(await during(() => store.save())).toEqual(
      redisEngine() === 'valkey' ? { multi: 1, hsetex: 1, hget: 1, exec: 1 } : { evalsha: 1, hmget: 1, hset: 1 },
    );
  });
});
