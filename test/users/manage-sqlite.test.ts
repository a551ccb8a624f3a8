/** Sessions a user can manage on SQLite: two app servers (two connections to one database file), each with its own provider. */
import { afterAll, beforeAll } from 'vitest';
import { SqliteProvider } from '../../src/providers/sql/sqlite.js';
import { DatabaseSync, sqlitePerFile, type TestDatabase } from '../providers/sql-fixtures.js';
import { manageSuite, recordsLayoutSuite } from './manage-suite.js';

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

recordsLayoutSuite('sqlite', {
  provider: (prefix) => new SqliteProvider(file.db, { prefix, sweepInterval: 0 }),
  row: async (id) => {
    const row = file.db.prepare('SELECT body, expires_at FROM wasm_sessions_records WHERE id = ?').get(id) as { body: string; expires_at: number };
    return { body: row.body, remainingMs: row.expires_at - Date.now() };
  },
  idsContaining: async (text) => (file.db.prepare("SELECT count(*) AS n FROM wasm_sessions_records WHERE id LIKE '%' || ? || '%'").get(text) as { n: number }).n,
});
