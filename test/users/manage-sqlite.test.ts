/** Sessions a user can manage on SQLite: two app servers (two connections to one database file), each with its own provider. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session } from '../../src/manager/session.js';
import { SqliteProvider } from '../../src/providers/sqlite.js';
import { DatabaseSync, sqlitePerFile, type TestDatabase } from '../providers/sql-fixtures.js';
import { fakeRes } from './suite.js';
import { manageSuite, SECRET } from './manage-suite.js';

const file = sqlitePerFile();
let second: TestDatabase;
beforeAll(() => {
  second = new DatabaseSync(file.path);
});
afterAll(() => second?.close());
let n = 0;

manageSuite('sqlite', {
  providers: () => {
    const prefix = `m${++n}:`;
    return [new SqliteProvider(file.db, { prefix, sweepInterval: 0 }), new SqliteProvider(second, { prefix, sweepInterval: 0 })];
  },
});

describe('sqlite: what the records table holds of a remember-me series', () => {
  it('one row per user record under a hash of its name, holding the token hash and never the token or a session ID', async () => {
    const p = new SqliteProvider(file.db, { prefix: 'layout-m:', sweepInterval: 0 });
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
    const row = file.db.prepare('SELECT body, version, expires_at FROM wasm_sessions_records WHERE id = ?').get(id) as { body: string; version: number; expires_at: number };
    const doc = JSON.parse(row.body) as { s: Record<string, { h: string; l: string }> };
    const [series] = Object.values(doc.s);
    expect(series).toMatchObject({ l: 'Firefox' });
    expect(series!.h).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(row.body).not.toContain(store.sessionID());
    expect(row.body).not.toContain(remember);
    expect(row.expires_at - Date.now()).toBeGreaterThan(2_500_000_000);
    expect((file.db.prepare("SELECT count(*) AS n FROM wasm_sessions_records WHERE id LIKE '%user-r%'").get() as { n: number }).n).toBe(0);
  });
});
