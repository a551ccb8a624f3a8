/** Fixtures for the provider suite: clients and raw store access for Redis and memcached. */
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import memjs from 'memjs';
import { MemcacheProvider } from '../../src/providers/memcache.js';
import { RedisProvider, type RedisClient } from '../../src/providers/redis.js';
import { memcachedGet, memcachedSet, memcachedTtl, type RedisCluster } from '../helpers/servers.js';
import type { ProviderFixture } from './provider-suite.js';

/** memjs logs to console by default; tests keep quiet. */
export const quietLogger = { log(): void {} };

/** Client options the docs recommend: fail fast, never queue forever. */
export const recommendedRedisOptions: RedisOptions = {
  maxRetriesPerRequest: 1,
  commandTimeout: 2000,
  connectTimeout: 2000,
};

export function redisClient(port: number, options: RedisOptions = recommendedRedisOptions): Redis {
  const client = new Redis({ host: '127.0.0.1', port, ...options });
  // The app owns the client; unhandled 'error' events only log, but keep test output clean.
  client.on('error', () => {});
  return client;
}

export function clusterClient(cluster: RedisCluster): Cluster {
  const client = new Cluster(cluster.startupNodes, {
    redisOptions: { maxRetriesPerRequest: 1, commandTimeout: 2000 },
    slotsRefreshTimeout: 2000,
  });
  client.on('error', () => {});
  return client;
}

export function redisFixture(client: RedisClient): ProviderFixture {
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
    perKeyMerge: false,
  };
}
