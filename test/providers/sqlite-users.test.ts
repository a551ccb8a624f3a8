/** User sessions on SQLite: the shared users suite, plus the index's layout. */
import { describe, expect, it } from 'vitest';
import { Session } from '../../src/session/session.js';
import { SqliteProvider } from '../../src/providers/sql/sqlite.js';
import { SECRET, fakeRes, usersSuite } from '../users/suite.js';
import { sqlitePerFile } from './sql-fixtures.js';

const file = sqlitePerFile();
let n = 0;

usersSuite('sqlite', {
  provider: (ttl) => new SqliteProvider(file.db, { prefix: `u${++n}:`, sweepInterval: 0, ...(ttl === undefined ? {} : { ttl }) }),
  perKeyMerge: true,
  shortTtl: 3,
  indexSize: async (p, userId) => {
    const prefix = (p as SqliteProvider).prefix;
    const row = file.db.prepare('SELECT count(*) AS n FROM wasm_sessions WHERE user_id = ? AND substr(id, 1, ?) = ?').get(userId, prefix.length, prefix) as { n: number };
    return row.n;
  },
});

describe('sqlite user index layout', () => {
  it('the binding is the row\'s user_id and meta columns; no column holds the session ID', async () => {
    const p = new SqliteProvider(file.db, { prefix: 'layout:', sweepInterval: 0 });
    const s = new Session(p, { cookieSecret: SECRET, backend: 'node', cookieExpire: 3600 });
    const store = await s.login({ headers: {} }, fakeRes(), 'user-1', { label: 'Firefox' });
    const row = { ...(file.db.prepare('SELECT id, user_id, meta, hint, data FROM wasm_sessions WHERE id = ?').get(p.keyFor(store.sessionID())) as Record<string, string>) };
    expect(row.id).toMatch(/^layout:[0-9a-f]{64}$/);
    expect(row.user_id).toBe('user-1');
    expect(JSON.parse(row.meta!)).toMatchObject({ u: 'user-1', l: 'Firefox' });
    expect(JSON.stringify(row)).not.toContain(store.sessionID());
  });
});
