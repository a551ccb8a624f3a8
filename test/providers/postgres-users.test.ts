/** User sessions on a real PostgreSQL: the shared users suite, plus the index's layout. */
import { describe, expect, it } from 'vitest';
import { Session } from '../../src/session/session.js';
import { PostgresProvider } from '../../src/providers/sql/postgres.js';
import { SECRET, fakeRes, usersSuite } from '../users/suite.js';
import { postgresPerFile } from './sql-fixtures.js';

const file = postgresPerFile();
let n = 0;

usersSuite('postgres', {
  provider: (ttl) => new PostgresProvider(file.pool, { prefix: `u${++n}:`, sweepInterval: 0, ...(ttl === undefined ? {} : { ttl }) }),
  perKeyMerge: true,
  shortTtl: 10, // 1,000 logins must all land inside it on a loaded 2-core machine
  indexSize: async (p, userId) => {
    const prefix = (p as PostgresProvider).prefix;
    const res = await file.pool.query('SELECT count(*)::int AS n FROM wasm_sessions WHERE user_id = $1 AND starts_with(id, $2)', [userId, prefix]);
    return (res.rows[0] as { n: number }).n;
  },
});

describe('postgres user index layout', () => {
  it('the binding is the row\'s user_id and meta columns; no column holds the session ID', async () => {
    const p = new PostgresProvider(file.pool, { prefix: 'layout:', sweepInterval: 0 });
    const s = new Session(p, { cookieSecret: SECRET, backend: 'node', cookieExpire: 3600 });
    const store = await s.login({ headers: {} }, fakeRes(), 'user-1', { label: 'Firefox' });
    const row = (await file.pool.query('SELECT id, user_id, meta, hint, data::text AS data FROM wasm_sessions WHERE id = $1', [p.keyFor(store.sessionID())])).rows[0] as Record<string, string>;
    expect(row.id).toMatch(/^layout:[0-9a-f]{64}$/);
    expect(row.user_id).toBe('user-1');
    expect(JSON.parse(row.meta!)).toMatchObject({ u: 'user-1', l: 'Firefox' });
    expect(row.hint).toBe(store.sessionID().slice(0, 4) + '…');
    expect(JSON.stringify(row)).not.toContain(store.sessionID());
    expect(p.users!.ref(store.sessionID())).toBe(row.id!.slice('layout:'.length));
  });
});
