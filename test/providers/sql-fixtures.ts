/**
 * Fixtures for the SQL providers' tests: a throwaway PostgreSQL per test file
 * (with a Pool and the schema), SQLite databases in temp files, and raw row
 * access for the provider suite.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { PostgresProvider } from '../../src/providers/sql/postgres.js';
import { SqliteProvider, type SqliteDatabase } from '../../src/providers/sql/sqlite.js';
import { startPostgres, type PostgresServer } from '../helpers/postgres.js';
import type { ProviderFixture } from './provider-suite.js';

/** A node:sqlite database as the tests use it (typed here: the repo's @types/node may predate node:sqlite). */
export interface TestDatabase extends SqliteDatabase {
  close(): void;
}

/**
 * node:sqlite's DatabaseSync (Node >= 22.5), looked up at run time; a Node
 * without it fails the SQLite tests saying so.
 */
export const DatabaseSync: new (path: string) => TestDatabase = (() => {
  const mod = process.getBuiltinModule('node:sqlite') as { DatabaseSync: new (path: string) => TestDatabase } | undefined;
  if (mod === undefined) throw new Error(`node:sqlite needs Node >= 22.5 (this is ${process.version}): run the tests with Node 24`);
  return mod.DatabaseSync;
})();

export interface PostgresFile {
  readonly server: PostgresServer;
  readonly pool: pg.Pool;
}

/** A Pool with the settings the docs recommend: bounded acquire and statements. */
export function postgresPool(config: pg.PoolConfig, extra: pg.PoolConfig = {}): pg.Pool {
  const pool = new pg.Pool({ ...config, max: 10, connectionTimeoutMillis: 2000, statement_timeout: 2000, ...extra });
  pool.on('error', () => {});
  return pool;
}

/** Starts PostgreSQL, a Pool and the default schema before this file's tests; stops them after. */
export function postgresPerFile(): PostgresFile {
  const running = {} as { server: PostgresServer; pool: pg.Pool };
  beforeAll(async () => {
    running.server = await startPostgres();
    running.pool = postgresPool(running.server.config);
    await new PostgresProvider(running.pool, { sweepInterval: 0 }).createSchema();
  }, 60_000);
  afterAll(async () => {
    await running.pool?.end();
    await running.server?.dispose();
  }, 30_000);
  return running;
}

/** A row as the suite compares it: every column but `expires_at` (a touch moves it, as Redis's TTL). */
const ROW = 'id, data::text AS data, user_id, meta, hint, alias, alias_ref';

export function postgresFixture(file: PostgresFile): ProviderFixture {
  const set = async (key: string, data: string, meta: string | null = null): Promise<void> => {
    await file.pool.query(`INSERT INTO wasm_sessions (id, data, expires_at, meta) VALUES ($1, $2::jsonb, now() + interval '60 seconds', $3)`, [key, data, meta]);
  };
  return {
    make: (options) => new PostgresProvider(file.pool, { ...options, sweepInterval: 0 }),
    // Live rows only: an expired row is gone for every operation (the sweep deletes it later: tested on its own).
    raw: async (key) => (await file.pool.query(`SELECT ${ROW} FROM wasm_sessions WHERE id = $1 AND (expires_at IS NULL OR expires_at > now())`, [key])).rows[0],
    rawTtl: async (key) => {
      const row = (await file.pool.query(`SELECT extract(epoch FROM expires_at - now())::float8 AS ttl, expires_at IS NULL AS forever FROM wasm_sessions WHERE id = $1 AND (expires_at IS NULL OR expires_at > now())`, [key])).rows[0] as
        | { ttl: number | null; forever: boolean }
        | undefined;
      if (row === undefined) return undefined;
      return row.forever ? -1 : Math.round(row.ttl as number);
    },
    corruptions: {
      'data is an array, not an object': (key) => set(key, '[1, 2, 3]'),
      'a field that is not a JSON string': (key) => set(key, '{"user": 5}'),
      'a field that is not JSON': (key) => set(key, '{"user": "{broken"}'),
      'a field nested 5,000 deep': (key) => set(key, JSON.stringify({ deep: '['.repeat(5000) + ']'.repeat(5000) })),
      'metadata that is not JSON': (key) => set(key, '{}', 'not json {'),
    },
    expiryTtl: 3,
    perKeyMerge: true,
  };
}

export interface SqliteFile {
  readonly dir: string;
  readonly path: string;
  readonly db: TestDatabase;
}

/** A SQLite database in a temp dir (WAL, the default schema) for this file's tests. */
export function sqlitePerFile(): SqliteFile {
  const running = {} as { dir: string; path: string; db: TestDatabase };
  beforeAll(() => {
    running.dir = mkdtempSync(join(tmpdir(), 'wasm-session-sqlite-'));
    running.path = join(running.dir, 'sessions.db');
    running.db = new DatabaseSync(running.path);
    running.db.exec('PRAGMA synchronous = NORMAL');
    new SqliteProvider(running.db, { sweepInterval: 0 }).createSchema();
  });
  afterAll(() => {
    running.db?.close();
    if (running.dir) rmSync(running.dir, { recursive: true, force: true });
  });
  return running;
}

export function sqliteFixture(file: SqliteFile): ProviderFixture {
  const set = async (key: string, data: string, meta: string | null = null): Promise<void> => {
    file.db.prepare('INSERT INTO wasm_sessions (id, data, expires_at, meta) VALUES (?, ?, ?, ?)').run(key, data, Date.now() + 60_000, meta);
  };
  return {
    make: (options) => new SqliteProvider(file.db, { ...options, sweepInterval: 0 }),
    raw: async (key) => {
      const row = file.db.prepare('SELECT id, data, user_id, meta, hint, alias, alias_ref FROM wasm_sessions WHERE id = ? AND (expires_at IS NULL OR expires_at > ?)').get(key, Date.now());
      return row === undefined ? undefined : { ...(row as object) };
    },
    rawTtl: async (key) => {
      const row = file.db.prepare('SELECT expires_at FROM wasm_sessions WHERE id = ? AND (expires_at IS NULL OR expires_at > ?)').get(key, Date.now()) as
        | { expires_at: number | null }
        | undefined;
      if (row === undefined) return undefined;
      return row.expires_at === null ? -1 : Math.round((row.expires_at - Date.now()) / 1000);
    },
    corruptions: {
      'not JSON': (key) => set(key, 'not json {'),
      'data is an array, not an object': (key) => set(key, '[1,2,3]'),
      'a field that is not a JSON string': (key) => set(key, '{"user":5}'),
      'a field that is not JSON': (key) => set(key, '{"user":"{broken"}'),
      'a field nested 100,000 deep': (key) => set(key, JSON.stringify({ deep: '['.repeat(100_000) + ']'.repeat(100_000) })),
      'the whole record nested 100,000 deep': (key) => set(key, '{"a":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}'),
      'metadata that is not JSON': (key) => set(key, '{}', 'not json {'),
    },
    expiryTtl: 2,
    perKeyMerge: true,
  };
}
