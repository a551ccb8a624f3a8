/**
 * Issue 30 on the SQL providers: the login/refresh scenarios of
 * concurrency-suite.ts on a real PostgreSQL (initdb on a free loopback port)
 * and on SQLite (node:sqlite, a WAL file). A login or refresh is one
 * `UPDATE … SET id = new WHERE id = old`: the row lock (PostgreSQL) or the
 * single writer (SQLite) lets exactly one request move it. A won login leaves
 * a claim row on the old ID that only a login of the same user joins; a lost
 * refresh goes on from a fresh session (docs/providers.md "Concurrency guarantees").
 */
import { describe, expect, it } from 'vitest';
import type { SessionError, SessionMovedError } from '../../src/errors.js';
import { Value } from '../../src/manager/value.js';
import { PostgresProvider } from '../../src/providers/sql/postgres.js';
import type { UserIndex } from '../../src/providers/provider.js';
import { SqliteProvider } from '../../src/providers/sql/sqlite.js';
import { loginMoveSuite, type Gate } from './concurrency-suite.js';
import { postgresPerFile, sqlitePerFile } from './sql-fixtures.js';

const pg = postgresPerFile();
const lite = sqlitePerFile();
let round = 0;

/** The provider's login of a stored session (its one move statement) waits at `gate` first. */
function heldLogin(users: UserIndex, gate: Gate | undefined): void {
  if (gate === undefined) return;
  const login = users.login.bind(users);
  users.login = async (sid, ...rest) => {
    if (sid !== null) await gate.pass();
    return login(sid, ...rest);
  };
}

/** Live session rows (not renewal aliases) of one prefix whose data holds `key`. */
function countCopies(rows: Array<{ data: string }>, key: string): number {
  return rows.filter((r) => Object.hasOwn(JSON.parse(r.data) as object, key)).length;
}

loginMoveSuite({
  name: 'PostgreSQL',
  make: (claim) => {
    const prefix = `c${++round}:`;
    const provider = new PostgresProvider(pg.pool, { prefix, sweepInterval: 0 });
    heldLogin(provider.users, claim);
    const copies = async (key: string): Promise<number> => {
      const res = await pg.pool.query(
        `SELECT data::text AS data FROM wasm_sessions WHERE starts_with(id, $1) AND alias IS NULL AND (expires_at IS NULL OR expires_at > now())`,
        [prefix],
      );
      return countCopies(res.rows as Array<{ data: string }>, key);
    };
    return { provider, copies };
  },
});

loginMoveSuite({
  name: 'SQLite',
  make: (claim) => {
    const prefix = `c${++round}:`;
    const provider = new SqliteProvider(lite.db, { prefix, sweepInterval: 0 });
    heldLogin(provider.users, claim);
    const copies = async (key: string): Promise<number> => {
      const rows = lite.db
        .prepare(`SELECT data FROM wasm_sessions WHERE substr(id, 1, length(?)) = ? AND alias IS NULL AND (expires_at IS NULL OR expires_at > ?)`)
        .all(prefix, prefix, Date.now());
      return countCopies(rows as Array<{ data: string }>, key);
    };
    return { provider, copies };
  },
});

describe.each([
  {
    name: 'PostgreSQL',
    make: (prefix: string) => new PostgresProvider(pg.pool, { prefix, sweepInterval: 0 }),
    row: async (id: string) => (await pg.pool.query(`SELECT data::text AS data, user_id, alias, alias_ref, extract(epoch FROM expires_at - now())::float8 AS ttl FROM wasm_sessions WHERE id = $1`, [id])).rows[0] as Record<string, unknown> | undefined,
  },
  {
    name: 'SQLite',
    make: (prefix: string) => new SqliteProvider(lite.db, { prefix, sweepInterval: 0 }),
    row: async (id: string) => {
      const r = lite.db.prepare('SELECT data, user_id, alias, alias_ref, (expires_at - ?) / 1000.0 AS ttl FROM wasm_sessions WHERE id = ?').get(Date.now(), id);
      return r === undefined ? undefined : ({ ...(r as object) } as Record<string, unknown>);
    },
  },
])('the login claim on $name', ({ make, row }) => {
  it('the old ID holds the sealed new ID behind "!" and the winner for the grace, out of the index; restore, a stale save, refresh and renewal find it gone; only a login of the same user joins', async () => {
    const p = make(`claim${++round}:`);
    const users = p.users;
    await p.new('old', new Value({ cart: 7 }));
    const stale = await p.restore('old');
    const alice = { userId: 'alice', loginAt: Date.now() };
    const won = await users.login('old', 'new', new Value(), alice, { indexTtl: 60, alias: 'sealed-new', grace: 30 });
    expect(won.getValue().toJSON()).toEqual({ cart: 7 });
    const claim = await row(p.keyFor('old'));
    expect(claim).toMatchObject({ data: '{}', user_id: null, alias: '!sealed-new', alias_ref: p.keyFor('new') });
    expect(claim?.ttl as number).toBeGreaterThan(20);
    expect(claim?.ttl as number).toBeLessThanOrEqual(30);
    const code = (e: unknown): string => (e as SessionError).code;
    expect(code(await p.restore('old').catch((e: unknown) => e))).toBe('ERR_SESSION_NOT_FOUND');
    expect(code(await p.restore('old', { touch: true }).catch((e: unknown) => e))).toBe('ERR_SESSION_NOT_FOUND');
    stale.getValue().set('late', 1);
    expect(code(await stale.setValue(stale.getValue()).catch((e: unknown) => e))).toBe('ERR_SESSION_NOT_FOUND');
    expect(code(await p.refresh('old', 'moved').catch((e: unknown) => e))).toBe('ERR_SESSION_NOT_FOUND');
    expect(await p.renew('old', 'renewed', { alias: 'x', grace: 30, meta: alice, value: new Value(), indexTtl: 60 })).toBeNull();
    // Another user: gone. The same user: joins the winner through the claim's alias.
    expect(code(await users.login('old', 'bob-new', new Value(), { userId: 'bob', loginAt: Date.now() }, { indexTtl: 60, alias: 'b', grace: 30 }).catch((e: unknown) => e))).toBe(
      'ERR_SESSION_NOT_FOUND',
    );
    const joined = (await users.login('old', 'alice-2', new Value(), alice, { indexTtl: 60, alias: 'a2', grace: 30 }).catch((e: unknown) => e)) as SessionMovedError;
    expect(joined.code).toBe('ERR_SESSION_MOVED');
    expect(joined.alias).toBe('sealed-new');
    expect(await users.list('alice', { indexTtl: 60 })).toHaveLength(1);
    expect(await users.list('bob', { indexTtl: 60 })).toHaveLength(0);
    expect((await p.restore('new')).getValue().toJSON()).toEqual({ cart: 7 });
    // Without an alias (a provider caller that asks for none): no claim, the old ID is simply gone.
    await p.new('plain', new Value({ a: 1 }));
    await users.login('plain', 'plain-new', new Value(), alice, { indexTtl: 60 });
    expect(await row(p.keyFor('plain'))).toBeUndefined();
  });
});
