/**
 * Issue 30 on the SQL providers: the login/refresh scenarios of
 * concurrency-suite.ts on a real PostgreSQL (initdb on a free loopback port)
 * and on SQLite (node:sqlite, a WAL file). A login or refresh is one
 * `UPDATE … SET id = new WHERE id = old`: the row lock (PostgreSQL) or the
 * single writer (SQLite) lets exactly one request move it; the others find the
 * old ID gone and go on from a fresh session (the SQL providers ignore the
 * login alias, see docs/providers.md "Concurrency guarantees").
 */
import { PostgresProvider } from '../../src/providers/postgres.js';
import type { UserIndex } from '../../src/providers/provider.js';
import { SqliteProvider } from '../../src/providers/sqlite.js';
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
  loserJoins: false,
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
  loserJoins: false,
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
