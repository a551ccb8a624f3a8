/**
 * The Redis client the suites give the provider, chosen by `WS_REDIS_CLIENT`:
 * `ioredis` (5, the lockfile's; default), `ioredis6`, `iovalkey`, `node-redis`
 * (6) or `node-redis5`. Every one is handed to the tests typed as an ioredis
 * client, since the tests also use it for raw checks (`client.hgetall(key)`,
 * `client.set(...)`): a node-redis client is wrapped so that those raw calls
 * (lower-case ioredis names, ioredis reply shapes) work on it, while the
 * provider sees the node-redis client itself (detected by its `sendCommand`).
 */
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import * as ioredis6 from 'ioredis-6';
import * as iovalkey from 'iovalkey';
import * as nodeRedis5 from 'redis';
import * as nodeRedis6 from 'redis-6';

export const CLIENT_KINDS = ['ioredis', 'ioredis6', 'iovalkey', 'node-redis', 'node-redis5'] as const;
export type ClientKind = (typeof CLIENT_KINDS)[number];

export function clientKind(): ClientKind {
  const kind = process.env.WS_REDIS_CLIENT ?? 'ioredis';
  if (!(CLIENT_KINDS as readonly string[]).includes(kind)) throw new Error(`WS_REDIS_CLIENT=${kind}: expected one of ${CLIENT_KINDS.join(', ')}`);
  return kind as ClientKind;
}

/** A standalone client of the chosen kind on `port` (ioredis options are mapped for node-redis). */
export function makeRedisClient(port: number, options: RedisOptions = {}, kind: ClientKind = clientKind()): Redis {
  switch (kind) {
    case 'ioredis':
      return new Redis({ host: '127.0.0.1', port, ...options });
    case 'ioredis6':
      return new ioredis6.Redis({ host: '127.0.0.1', port, ...options } as unknown as ioredis6.RedisOptions) as unknown as Redis;
    case 'iovalkey':
      return new iovalkey.Redis({ host: '127.0.0.1', port, ...options } as unknown as iovalkey.RedisOptions) as unknown as Redis;
    case 'node-redis':
    case 'node-redis5': {
      const create = (kind === 'node-redis' ? nodeRedis6.createClient : nodeRedis5.createClient) as (options: unknown) => unknown;
      const client = create({
        socket: {
          host: '127.0.0.1',
          port,
          connectTimeout: options.connectTimeout ?? 2000,
          // Keep trying, as ioredis does: the fault tests restart the server.
          reconnectStrategy: (retries: number) => Math.min(50 * (retries + 1), 500),
        },
        // ioredis's maxRetriesPerRequest 1 ~ fail rather than queue while down.
        disableOfflineQueue: false,
      });
      return ioredisFace(client as unknown as NodeClient, false);
    }
  }
}

/** A cluster client of the chosen kind. */
export function makeClusterClient(nodes: { host: string; port: number }[], options: ClusterOptions = {}, kind: ClientKind = clientKind()): Cluster {
  switch (kind) {
    case 'ioredis':
      return new Cluster(nodes, options);
    case 'ioredis6':
      return new ioredis6.Cluster(nodes, options as ConstructorParameters<typeof ioredis6.Cluster>[1]) as unknown as Cluster;
    case 'iovalkey':
      return new iovalkey.Cluster(nodes, options as ConstructorParameters<typeof iovalkey.Cluster>[1]) as unknown as Cluster;
    case 'node-redis':
    case 'node-redis5': {
      const create = (kind === 'node-redis' ? nodeRedis6.createCluster : nodeRedis5.createCluster) as (options: unknown) => unknown;
      const cluster = create({
        rootNodes: nodes.map((n) => ({ socket: { host: n.host, port: n.port } })),
        defaults: { socket: { connectTimeout: 2000, reconnectStrategy: (retries: number) => Math.min(50 * (retries + 1), 500) } },
      });
      return ioredisFace(cluster as unknown as NodeClient, true) as unknown as Cluster;
    }
  }
}

interface NodeClient {
  sendCommand(...args: unknown[]): Promise<unknown>;
  connect(): Promise<unknown>;
  destroy?(): void;
  close?(): Promise<void>;
  on(event: string, fn: (...args: unknown[]) => void): unknown;
}

// ioredis's reply shapes for the raw commands the tests use.
const TRANSFORM: Record<string, (reply: unknown) => unknown> = {
  hgetall: (reply) => {
    if (reply instanceof Map) return Object.fromEntries(reply);
    if (Array.isArray(reply)) {
      const out: Record<string, unknown> = {};
      for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = reply[i + 1];
      return out;
    }
    return reply;
  },
};

// node-redis's own members that the provider, the cache and the tests use as they are.
const OWN = new Set(['then', 'on', 'once', 'off', 'emit', 'connect', 'duplicate', 'destroy', 'close', 'subscribe', 'unsubscribe', 'options', 'masters', 'replicas', 'listeners', 'multi']);

/**
 * A node-redis client (or cluster) that also answers the ioredis-style raw
 * calls of the tests: `client.type(key)`, `client.hset(key, f, v)`,
 * `client.disconnect()`, `client.status`. It keeps node-redis's own
 * `sendCommand`, so RedisProvider treats it as node-redis.
 */
function ioredisFace(client: NodeClient, cluster: boolean): Redis {
  client.on('error', () => {});
  const connected = client.connect().catch(() => {});
  const send = async (name: string, args: unknown[]): Promise<unknown> => {
    await connected;
    const a = [name.toUpperCase(), ...args.flat().map(String)];
    // Keyless commands go to any node of a cluster (undefined key).
    const keyed = !['ping', 'flushall', 'flushdb', 'info', 'dbsize', 'keys', 'scan', 'script', 'config', 'client'].includes(name);
    const reply = cluster ? await client.sendCommand(keyed ? a[1] : undefined, false, a) : await client.sendCommand(a);
    return TRANSFORM[name]?.(reply) ?? reply;
  };
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === 'disconnect' || prop === 'quit') {
        return async () => {
          await connected;
          try {
            target.destroy?.();
          } catch {
            // closed already
          }
        };
      }
      if (prop === 'status') return 'ready';
      // A lower-case command name is a raw call, ioredis-style (node-redis's own `set`, `hset`… take other arguments).
      if (typeof prop === 'string' && /^[a-z]+$/.test(prop) && !OWN.has(prop)) return (...args: unknown[]) => send(prop, args);
      const own = Reflect.get(target, prop, receiver) as unknown;
      return typeof own === 'function' ? (own as (...a: unknown[]) => unknown).bind(target) : own;
    },
  }) as unknown as Redis;
}
