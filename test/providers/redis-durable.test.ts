/**
 * Issue 39: `durable: { replicas }` on a master with one replica (the client
 * WS_REDIS_CLIENT names, the engine WS_REDIS_ENGINE names). Every write that
 * must not be undone is followed by WAIT on the connection that wrote it, in
 * the same round trip: once acknowledged it is on the replica; with the
 * replica away, writes answer ERR_STORE_UNAVAILABLE within the deadline, and
 * serve again when it is back. Reads and TTL slides wait for nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster, Redis } from 'ioredis';
import { Session } from '../../src/session/session.js';
import { Value } from '../../src/manager/value.js';
import { RedisProvider } from '../../src/providers/redis/provider.js';
import { makeClusterClient, makeRedisClient } from '../helpers/redis-clients.js';
import { startRedis, startRedisCluster, type RedisCluster, type ServerProcess } from '../helpers/servers.js';
import { SECRET, fakeRes } from '../users/suite.js';
import { clusterClient, commandsDuring as serverCalls, redisClient, sid, unavailable } from './fixtures.js';

let master: ServerProcess;
let replica: ServerProcess;
let client: Redis;
/** Raw reads on each server (ioredis 5 whatever the matrix says). */
let onMaster: Redis;
let onReplica: Redis;

beforeAll(async () => {
  master = await startRedis();
  replica = await startRedis({ replicaOf: master.port });
  client = redisClient(master.port);
  onMaster = makeRedisClient(master.port, { maxRetriesPerRequest: 1 }, 'ioredis');
  onReplica = makeRedisClient(replica.port, { maxRetriesPerRequest: 1 }, 'ioredis');
  for (const c of [onMaster, onReplica]) c.on('error', () => {});
}, 60_000);

afterAll(async () => {
  client?.disconnect();
  onMaster?.disconnect();
  onReplica?.disconnect();
  await replica?.dispose();
  await master?.dispose();
});

/** Calls per command on the master while `op` runs (a script's loading EVAL counted as its EVALSHA). */
const commandsDuring = (op: () => Promise<unknown>): Promise<Record<string, number>> => serverCalls(onMaster, op, true);

describe('RedisProvider durable: { replicas: 1 } on a master and its replica', () => {
  it('every acknowledged write is on the replica at once: new, save, destroy, login, logout, revoke, records', async () => {
    const p = new RedisProvider(client, { ttl: 600, touchAfter: 60, prefix: 'd1:', durable: { replicas: 1 } });
    const id = sid();
    await p.new(id, new Value({ n: 1 }));
    expect(await onReplica.hget(p.keyFor(id), 'n')).toBe('1');
    const s = await p.restore(id, { touch: true });
    s.getValue().set('n', 2).set('m', 'x');
    await s.setValue(s.getValue());
    expect(await onReplica.hgetall(p.keyFor(id))).toMatchObject({ n: '2', m: '"x"' });
    // A server that lost its scripts (a restart, a promoted replica): EVALSHA fails, and the WAIT must
    // follow the EVAL that is then applied, not the failed EVALSHA.
    await onMaster.script('FLUSH');
    s.getValue().set('n', 3);
    await s.setValue(s.getValue());
    expect(await onReplica.hget(p.keyFor(id), 'n')).toBe('3');
    await p.destroy(id);
    expect(await onReplica.exists(p.keyFor(id))).toBe(0);
    // Through Session: login (a move and the index), logout, revoke.
    const session = new Session(p, { cookieSecret: SECRET, backend: 'node' });
    const res = fakeRes();
    const logged = await session.login({ headers: {} }, res, 'durable-user');
    const key = p.keyFor(logged.sessionID());
    expect(await onReplica.exists(key)).toBe(1);
    expect(await onReplica.hlen(p.indexKey('durable-user'))).toBe(1);
    const second = await session.login({ headers: {} }, fakeRes(), 'durable-user');
    expect(await session.destroyUserSessions('durable-user', { keep: second })).toBe(1);
    expect(await onReplica.exists(key)).toBe(0);
    expect(await p.records.put('series', 'v1', null, 60)).toBe(true);
    expect(await onReplica.get(p.records.keyFor('series'))).toBe('v1');
  });

  it('WAIT follows each write in the same round trip; a read-only restore and a TTL slide wait for nothing', async () => {
    const p = new RedisProvider(client, { ttl: 600, touchAfter: 0, prefix: 'd2:', durable: { replicas: 1 } });
    const id = sid();
    await p.new(id, new Value({ n: 1 }));
    const created = await commandsDuring(() => p.new(sid(), new Value({ n: 1 })));
    expect(created.wait).toBe(1);
    const restored = await commandsDuring(() => p.restore(id, { touch: true }));
    expect(restored.wait).toBeUndefined();
    const s = await p.restore(id);
    s.getValue().set('n', 2);
    expect((await commandsDuring(() => s.setValue(s.getValue()))).wait).toBe(1);
    expect((await commandsDuring(() => p.destroy(id))).wait).toBe(1);
  });

  it('the replica away (frozen): writes answer ERR_STORE_UNAVAILABLE within the deadline, reads go on; back: writes confirmed again', async () => {
    const timeout = 1000;
    const p = new RedisProvider(client, { ttl: 600, touchAfter: 60, prefix: 'd3:', timeout, durable: { replicas: 1 } });
    const id = sid();
    await p.new(id, new Value({ n: 1 }));
    await replica.freeze();
    try {
      const s = await p.restore(id); // a read: no WAIT
      s.getValue().set('n', 2);
      await unavailable(() => s.setValue(s.getValue()), timeout + 3000);
      await unavailable(() => p.new(sid()), timeout + 3000);
      await unavailable(() => p.destroy(sid()), timeout + 3000);
      await expect(p.new(sid())).rejects.toThrow(/0 of 1 replicas acknowledged/);
      // Over HTTP the same outage is a 503 (the save's framed answer), not a 500.
      const session = new Session(p, { cookieSecret: SECRET, backend: 'node' });
      session.on('error', () => {});
      const res = fakeRes();
      const store = await session.start({ headers: {} }, res);
      store.getValue().set('x', 1);
      await expect(store.save()).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', status: 503 });
    } finally {
      replica.signal('SIGCONT');
    }
    const s = await p.restore(id);
    s.getValue().set('n', 3);
    await s.setValue(s.getValue());
    expect(await onReplica.hget(p.keyFor(id), 'n')).toBe('3');
  });

  it('with the client-side cache: its own saves are confirmed too', async () => {
    const own = redisClient(master.port);
    const p = new RedisProvider(own, { ttl: 600, touchAfter: 60, prefix: 'd4:', durable: { replicas: 1 }, cache: { maxBytes: 1 << 20 } });
    try {
      await p.cache!.sync(15_000);
      const id = sid();
      await p.new(id, new Value({ n: 1 }));
      expect(await onReplica.hget(p.keyFor(id), 'n')).toBe('1');
      const s = await p.restore(id, { touch: true });
      s.getValue().set('n', 2);
      await s.setValue(s.getValue()); // the cache's save script is loaded on its connection (a first EVALSHA fails: one more WAIT)
      expect(await onReplica.hget(p.keyFor(id), 'n')).toBe('2');
      s.getValue().set('n', 3);
      expect((await commandsDuring(() => s.setValue(s.getValue()))).wait).toBe(1);
      expect(await onReplica.hget(p.keyFor(id), 'n')).toBe('3');
    } finally {
      p.cache?.close();
      own.disconnect();
    }
  });

  it('bad options: ERR_INVALID_CONFIG', () => {
    for (const durable of [{ replicas: 0 }, { replicas: 1.5 }, { replicas: 1, waitMs: 0 }, { replicas: 1, waitMs: 5000 }]) {
      expect(() => new RedisProvider(client, { timeout: 2000, durable })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }));
    }
  });
});

describe('RedisProvider durable on a Redis Cluster with a replica per master', () => {
  let cluster: RedisCluster;
  let cc: Cluster;
  let admin: Cluster;
  beforeAll(async () => {
    cluster = await startRedisCluster({ replicas: true });
    cc = clusterClient(cluster);
    admin = makeClusterClient(cluster.startupNodes, { redisOptions: { maxRetriesPerRequest: 1 } }, 'ioredis');
    admin.on('error', () => {});
    await cc.ping();
    await admin.ping();
  }, 90_000);
  afterAll(async () => {
    cc?.disconnect();
    admin?.disconnect();
    await cluster?.stop();
  });

  it("the WAIT goes to the key's own master: its replica frozen, writes of keys there answer 503 while keys on other masters are confirmed", async () => {
    const timeout = 1000;
    const p = new RedisProvider(cc, { ttl: 600, prefix: 'dc:', timeout, durable: { replicas: 1 } });
    // CLUSTER NODES: "<id> <host:port@bus> <flags> <master id or -> … <slot ranges>".
    const lines = String(await admin.cluster('NODES')).trim().split('\n').map((l) => l.split(' '));
    const portOf = (f: string[]): number => Number(f[1]!.split('@')[0]!.split(':')[1]);
    const masters = lines.filter((f) => f[2]!.includes('master'));
    const slotsOf = (f: string[]): [number, number][] => f.slice(8).filter((r) => /^\d/.test(r)).map((r) => (r.includes('-') ? (r.split('-').map(Number) as [number, number]) : [Number(r), Number(r)]));
    const masterOf = async (key: string): Promise<string[]> => {
      const slot = Number(await admin.cluster('KEYSLOT', key));
      return masters.find((m) => slotsOf(m).some(([lo, hi]) => slot >= lo && slot <= hi))!;
    };
    // Two session IDs whose keys live on different masters.
    const a = sid();
    const ma = await masterOf(p.keyFor(a));
    let b = sid();
    while ((await masterOf(p.keyFor(b)))[0] === ma[0]) b = sid();
    const replicaOfA = lines.find((f) => f[3] === ma[0])!;
    const frozen = cluster.nodes.find((n) => n.port === portOf(replicaOfA))!;
    await frozen.freeze();
    try {
      await unavailable(() => p.new(a, new Value({ n: 1 })), timeout + 3000);
      await p.new(b, new Value({ n: 1 })); // its master's replica is up: confirmed
    } finally {
      frozen.signal('SIGCONT');
    }
    await p.destroy(a); // the unconfirmed create may be on the master: gone now, confirmed
    await p.new(a, new Value({ n: 2 }));
    expect((await p.restore(a)).getValue().get('n')).toBe(2);
  });
});
