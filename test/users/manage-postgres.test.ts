/** Sessions a user can manage on a real PostgreSQL: two app servers, each with its own Pool and provider. */
import { afterAll, beforeAll } from 'vitest';
import type pg from 'pg';
import { PostgresProvider } from '../../src/providers/sql/postgres.js';
import { postgresPerFile, postgresPool } from '../providers/sql-fixtures.js';
import { manageSuite, recordsLayoutSuite } from './manage-suite.js';

const file = postgresPerFile();
let second: pg.Pool;
beforeAll(() => {
  second = postgresPool(file.server.config);
});
afterAll(async () => {
  await second?.end();
});
let n = 0;

manageSuite('postgres', {
  providers: () => {
    const prefix = `m${++n}:`;
    return [new PostgresProvider(file.pool, { prefix, sweepInterval: 0 }), new PostgresProvider(second, { prefix, sweepInterval: 0 })];
  },
});

recordsLayoutSuite('postgres', {
  provider: (prefix) => new PostgresProvider(file.pool, { prefix, sweepInterval: 0 }),
  row: async (id) => {
    const row = (await file.pool.query('SELECT body, extract(epoch FROM expires_at - now())::float8 AS ttl FROM wasm_sessions_records WHERE id = $1', [id])).rows[0] as {
      body: string;
      ttl: number;
    };
    return { body: row.body, remainingMs: row.ttl * 1000 };
  },
  idsContaining: async (text) =>
    ((await file.pool.query("SELECT count(*)::int AS n FROM wasm_sessions_records WHERE id LIKE '%' || $1 || '%'", [text])).rows[0] as { n: number }).n,
});
