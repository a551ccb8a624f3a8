/**
 * Fixtures for the provider tests: clients, a server per test file, raw store
 * access for Redis and memcached, and the checks the outage tests share.
 */
import { randomUUID } from 'node:crypto';
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import memjs from 'memjs';
import { afterAll, beforeAll, expect } from 'vitest';
import { SessionError } from '../../src/errors.js';
import { Value } from '../../src/manager/value.js';
import { MemcacheProvider } from '../../src/providers/memcache/provider.js';
import type { Provider } from '../../src/providers/provider.js';
import { RedisProvider } from '../../src/providers/redis/provider.js';
import { sleep } from '../helpers/http.js';
import { makeClusterClient, makeRedisClient } from '../helpers/redis-clients.js';
import {
  memcachedGet,
  memcachedSet,
  memcachedTtl,
  startMemcached,
  startRedis,
  startRedisCluster,
  type RedisCluster,
  type ServerProcess,
} from '../helpers/servers.js';
import type { ProviderFixture } from './provider-suite.js';

/** memjs logs to console by default; tests keep quiet. */
export const quietLogger = { log(): void {} };

/** Client options the docs recommend: fail fast, never queue forever. */
export const recommendedRedisOptions: RedisOptions = {
  maxRetriesPerRequest: 1,
  commandTimeout: 2000,
  connectTimeout: 2000,
};

/** A client of the kind `WS_REDIS_CLIENT` names (ioredis 5 by default; see helpers/redis-clients.ts). */
export function redisClient(port: number, options: RedisOptions = recommendedRedisOptions): Redis {
  const client = makeRedisClient(port, options);
  // The app owns the client; unhandled 'error' events only log, but keep test output clean.
  client.on('error', () => {});
  return client;
}

/** A server and a client on it, for the tests of one file (set once its `beforeAll` has run). */
export interface FileServer<C> {
  readonly server: ServerProcess;
  readonly client: C;
}

/** Starts a Redis server and a client before this file's tests; stops both after them. */
export function redisPerFile(): FileServer<Redis> {
  const running = {} as { server: ServerProcess; client: Redis };
  beforeAll(async () => {
    running.server = await startRedis();
    running.client = redisClient(running.server.port);
  });
  afterAll(async () => {
    running.client?.disconnect();
    await running.server?.dispose();
  });
  return running;
}

/** Starts a 3-master Redis Cluster and a Cluster client before this file's tests; stops both after them. */
export function clusterPerFile(): { readonly cluster: RedisCluster; readonly client: Cluster; readonly admin: Cluster } {
  const running = {} as { cluster: RedisCluster; client: Cluster; admin: Cluster };
  beforeAll(async () => {
    running.cluster = await startRedisCluster();
    running.client = clusterClient(running.cluster);
    // ioredis 5 whatever WS_REDIS_CLIENT says: for the tests' looks at the topology (nodes(), CLUSTER SLOTS).
    running.admin = makeClusterClient(running.cluster.startupNodes, { redisOptions: { maxRetriesPerRequest: 1, commandTimeout: 2000 } }, 'ioredis');
    running.admin.on('error', () => {});
    await running.client.ping();
    await running.admin.ping();
  }, 60_000);
  afterAll(async () => {
    running.client?.disconnect();
    running.admin?.disconnect();
    await running.cluster?.stop();
  });
  return running;
}

export function clusterClient(cluster: RedisCluster): Cluster {
  const client = makeClusterClient(cluster.startupNodes, {
    redisOptions: { maxRetriesPerRequest: 1, commandTimeout: 2000 },
    slotsRefreshTimeout: 2000,
  });
  client.on('error', () => {});
  return client;
}

export function redisFixture(client: Redis | Cluster): ProviderFixture {
  return {
    make: (options) => new RedisProvider(client, options),
    raw: async (key) => {
      const type = await client.type(key);
      if (type === 'none') return undefined;
      if (type === 'hash') return { hash: await client.hgetall(key) };
      if (type === 'string') return { string: await client.get(key) };
      return { type };
    },
    rawTtl: async (key) => {
      const ttl = await client.ttl(key);
      return ttl === -2 ? undefined : ttl;
    },
    corruptions: {
      'a string, not a hash': async (key) => {
        await client.set(key, 'not json {');
      },
      'a field that is not JSON': async (key) => {
        await client.hset(key, '__ws', '1', 'user', '{broken');
      },
    },
    expiryTtl: 3,
    perKeyMerge: true,
  };
}

export function memjsClient(ports: number[], extra: { timeout?: number } = {}): memjs.Client {
  return memjs.Client.create(ports.map((p) => `127.0.0.1:${p}`).join(','), {
    logger: quietLogger,
    retries: 1,
    timeout: extra.timeout ?? 1,
    conntimeout: extra.timeout ?? 1,
  });
}

/** Starts a memcached server and a client before this file's tests; stops both after them. */
export function memcachedPerFile(): FileServer<memjs.Client> {
  const running = {} as { server: ServerProcess; client: memjs.Client };
  beforeAll(async () => {
    running.server = await startMemcached();
    running.client = memjsClient([running.server.port]);
  });
  afterAll(async () => {
    running.client?.close();
    await running.server?.dispose();
  });
  return running;
}

/** Raw access looks the key up on every server (memjs picks one by hashing). */
export function memcacheFixture(client: memjs.Client, ports: number[]): ProviderFixture {
  const find = async (key: string): Promise<{ port: number; data: string } | undefined> => {
    for (const port of ports) {
      const data = await memcachedGet(port, key);
      if (data !== undefined) return { port, data };
    }
    return undefined;
  };
  // Hand-written records go where memjs would look for them.
  const portFor = (key: string): number => ports[ports.length > 1 ? Number(client.getServer(key)) : 0] as number;
  return {
    make: (options) => new MemcacheProvider(client, options),
    raw: async (key) => (await find(key))?.data,
    rawTtl: async (key) => {
      for (const port of ports) {
        const ttl = await memcachedTtl(port, key);
        if (ttl !== undefined) return ttl;
      }
      return undefined;
    },
    corruptions: {
      'not JSON': (key) => memcachedSet(portFor(key), key, 'not json {', 60),
      'JSON, but not an object': (key) => memcachedSet(portFor(key), key, '[1,2,3]', 60),
    },
    expiryTtl: 5,
    // Saves merge per key with check-and-set (issue 30).
    perKeyMerge: true,
  };
}

export const sid = (): string => `sid-${randomUUID()}`;

/**
 * Server-side calls per command (INFO commandstats, INFO itself left out) while `op` runs, on the server
 * `client` talks to; tests in a file run one at a time. `foldEval`: count a script's first call (an EVAL,
 * which loads it) as the EVALSHA it stands for.
 */
export async function commandsDuring(client: Redis, op: () => Promise<unknown>, foldEval = false): Promise<Record<string, number>> {
  const stats = async (): Promise<Record<string, number>> => {
    const out: Record<string, number> = {};
    for (const m of (await client.info('commandstats')).matchAll(/cmdstat_(\w+):calls=(\d+)/g)) out[m[1]!] = Number(m[2]);
    return out;
  };
  const before = await stats();
  await op();
  const after = await stats();
  const diff: Record<string, number> = {};
  for (const [name, n] of Object.entries(after)) if (name !== 'info' && n !== (before[name] ?? 0)) diff[name] = n - (before[name] ?? 0);
  if (foldEval && diff.eval !== undefined) {
    diff.evalsha = (diff.evalsha ?? 0) + diff.eval;
    delete diff.eval;
  }
  return diff;
}

/** Retries `op` every 100 ms until it resolves; after `timeoutMs`, fails with its last error. */
export async function eventually<T>(op: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await op();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(100);
    }
  }
}

/** Rejects with ERR_STORE_UNAVAILABLE, and not later than `bound` ms. */
export async function unavailable(op: () => Promise<unknown>, bound: number): Promise<number> {
  const t0 = Date.now();
  try {
    await op();
  } catch (err) {
    const elapsed = Date.now() - t0;
    expect(err).toBeInstanceOf(SessionError);
    expect((err as SessionError).code).toBe('ERR_STORE_UNAVAILABLE');
    expect(elapsed).toBeLessThan(bound);
    return elapsed;
  }
  throw new Error('expected ERR_STORE_UNAVAILABLE');
}

/** The unhandled rejections of the process while this file's tests run (listening from `beforeAll` to `afterAll`). */
export function unhandledRejections(): unknown[] {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  beforeAll(() => {
    process.on('unhandledRejection', onUnhandled);
  });
  afterAll(() => {
    process.off('unhandledRejection', onUnhandled);
  });
  return unhandled;
}

/** With nothing listening: every provider method rejects with ERR_STORE_UNAVAILABLE within `bound` ms. */
export async function everyMethodUnavailable(p: Provider, bound: number): Promise<void> {
  await unavailable(() => p.new(sid()), bound);
  await unavailable(() => p.restore(sid()), bound);
  await unavailable(() => p.restore(sid(), { touch: true }), bound);
  await unavailable(() => p.refresh(sid(), sid()), bound);
  await unavailable(() => p.destroy(sid()), bound);
}

/**
 * The outage `p` must ride out on the running `server`: hung (SIGSTOP), then
 * refused (SIGKILL), then restarted. While it is down every operation rejects
 * with ERR_STORE_UNAVAILABLE within `bound` ms; after the restart `p` serves
 * again. `whileRefused` adds checks to the refused phase.
 */
export async function hungRefusedRestarted(
  p: Provider,
  server: ServerProcess,
  bound: number,
  whileRefused: () => Promise<unknown> = async () => {},
): Promise<void> {
  const id = sid();
  const s = await p.new(id, new Value({ before: 1 }));

  s.getValue().set('during', 1);
  await server.freeze();
  // all at once: each waits out the timeout
  await Promise.all([
    unavailable(() => p.restore(id, { touch: true }), bound),
    unavailable(() => p.new(sid()), bound),
    unavailable(() => s.setValue(s.getValue()), bound),
    unavailable(() => s.touch(), bound),
    unavailable(() => p.refresh(id, sid()), bound),
    unavailable(() => p.destroy(sid()), bound),
  ]);

  // killed while frozen: the connection drops, reconnects are refused
  await server.stop('SIGKILL');
  await unavailable(() => p.restore(id), bound);
  await whileRefused();

  await server.start();
  // A new ID per attempt, as the manager makes one per new session: an attempt that timed out may still be
  // applied later by a client that queues commands (ioredis's defaults), and then its ID exists.
  let fresh = '';
  await eventually(() => p.new((fresh = sid()), new Value({ after: true })));
  expect((await p.restore(fresh, { touch: true })).getValue().get('after')).toBe(true);
}
