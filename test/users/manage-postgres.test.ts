/** Sessions a user can manage on a real PostgreSQL: two app servers, each with its own Pool and provider. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { Session } from '../../src/manager/session.js';
import { PostgresProvider } from '../../src/providers/postgres.js';
import { postgresPerFile, postgresPool } from '../providers/sql-fixtures.js';
import { fakeRes } from './suite.js';
import { manageSuite, SECRET } from './manage-suite.js';

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

describe('postgres: what the records table holds of a remember-me series', () => {
  it('one row per user record under a hash of its name, holding the token hash and never the token or a session ID', async () => {
    const p = new PostgresProvider(file.pool, { prefix: 'layout-m:', sweepInterval: 0 });
    const s = new Session(p, { cookieSecret: SECRET, backend: 'node' });
    const res = fakeRes();
    const store = await s.login({ headers: {} }, res, 'user-r', { remember: true, label: 'Firefox' });
    const remember = res
      .getHeader('set-cookie')!
      .find((l) => l.startsWith('sid_remember='))!
      .split(';')[0]!
      .slice('sid_remember='.length);
    const id = p.records.keyFor('u\u0000user-r');
    expect(id).toMatch(/^layout-m:[0-9a-f]{64}$/);
    const row = (await file.pool.query('SELECT body, version::text AS version, extract(epoch FROM expires_at - now())::float8 AS ttl FROM wasm_sessions_records WHERE id = $1', [id]))
      .rows[0] as { body: string; version: string; ttl: number };
    const doc = JSON.parse(row.body) as { s: Record<string, { h: string; l: string }> };
    const [series] = Object.values(doc.s);
    expect(series).toMatchObject({ l: 'Firefox' });
    expect(series!.h).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(row.body).not.toContain(store.sessionID());
    expect(row.body).not.toContain(remember);
    expect(row.ttl).toBeGreaterThan(2_500_000);
    // The user ID is only in the body (the row id is a hash).
    expect((await file.pool.query("SELECT count(*)::int AS n FROM wasm_sessions_records WHERE id LIKE '%user-r%'")).rows[0]).toEqual({ n: 0 });
  });
});
