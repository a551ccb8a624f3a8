/**
 * Real express-session stores on real servers started here: connect-redis on
 * redis-server, connect-pg-simple on PostgreSQL, memorystore, and the compat
 * entry's own MemoryStore. Each fixture gives a fresh store and a way to read
 * a record back through the store itself.
 */
import { createRequire } from 'node:module';
import { RedisStore } from 'connect-redis';
import pg from 'pg';
import { createClient, type RedisClientType } from 'redis';
import session, { MemoryStore } from '../../src/express-session/index.js';
import { startPostgres, type PostgresServer } from '../helpers/postgres.js';
import { startRedis, type ServerProcess } from '../helpers/servers.js';

const require = createRequire(import.meta.url);
// Both take the session factory and extend its Store: ours.
const connectPgSimple = require('connect-pg-simple') as (s: unknown) => new (o: object) => StoreHandle;
const memorystore = require('memorystore') as (s: unknown) => new (o: object) => StoreHandle & { stopInterval(): void };

export interface StoreHandle {
  get(sid: string, cb: (err: unknown, s?: Record<string, unknown> | null) => void): unknown;
  set(sid: string, s: object, cb?: (err?: unknown) => void): unknown;
  destroy(sid: string, cb?: (err?: unknown) => void): unknown;
  touch?(sid: string, s: object, cb?: (err?: unknown) => void): unknown;
  on(event: string, l: (...a: unknown[]) => void): unknown;
}

export interface StoreFixture {
  readonly name: string;
  /** Started in beforeAll. */
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** A store on the fixture's server (shared data between calls). */
  make(): StoreHandle;
}

export function readRecord(store: StoreHandle, sid: string): Promise<Record<string, unknown> | null | undefined> {
  return new Promise((resolve, reject) => {
    store.get(sid, (err, s) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(s)));
  });
}

export function memoryFixture(): StoreFixture {
  let store: MemoryStore | undefined;
  return {
    name: 'wasm-session/express-session MemoryStore',
    setup: async () => {
      store = new MemoryStore();
    },
    teardown: async () => {},
    make: () => store as unknown as StoreHandle,
  };
}

export function memorystoreFixture(): StoreFixture {
  let store: (StoreHandle & { stopInterval(): void }) | undefined;
  return {
    name: 'memorystore',
    setup: async () => {
      const Ctor = memorystore(session);
      store = new Ctor({ checkPeriod: 60_000 });
    },
    teardown: async () => {
      store?.stopInterval();
    },
    make: () => store as StoreHandle,
  };
}

export function connectRedisFixture(prefix = 'test:sess:'): StoreFixture & { client(): RedisClientType } {
  let server: ServerProcess | undefined;
  let client: RedisClientType | undefined;
  return {
    name: 'connect-redis (redis-server)',
    setup: async () => {
      server = await startRedis();
      client = createClient({ socket: { host: '127.0.0.1', port: server.port } });
      client.on('error', () => {});
      await client.connect();
    },
    teardown: async () => {
      await client?.quit().catch(() => {});
      await server?.dispose();
    },
    make: () => new RedisStore({ client: client as RedisClientType, prefix }) as unknown as StoreHandle,
    client: () => client as RedisClientType,
  };
}

export function connectPgFixture(): StoreFixture & { pool(): pg.Pool } {
  let server: PostgresServer | undefined;
  let pool: pg.Pool | undefined;
  return {
    name: 'connect-pg-simple (PostgreSQL)',
    setup: async () => {
      server = await startPostgres();
      pool = new pg.Pool({ ...server.config, max: 4 });
      pool.on('error', () => {});
    },
    teardown: async () => {
      await pool?.end().catch(() => {});
      await server?.dispose();
    },
    make: () => {
      const Ctor = connectPgSimple(session);
      return new Ctor({ pool, createTableIfMissing: true, pruneSessionInterval: false, errorLog: () => {} });
    },
    pool: () => pool as pg.Pool,
  };
}

export const allStores = (): StoreFixture[] => [memoryFixture(), memorystoreFixture(), connectRedisFixture(), connectPgFixture()];
