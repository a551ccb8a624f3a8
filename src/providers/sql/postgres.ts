/** @module providers/postgres */
/**
 * PostgreSQL provider over a node-postgres (`pg`) Pool the app creates and owns.
 *
 * Layout: one row per session (see `src/providers/sql/postgres.sql`): `id` =
 * prefix + sha256hex(sid), `data` = jsonb object of key → that key's JSON
 * text, `expires_at` (server clock), the user binding and renewal alias
 * columns; tombstones of revoked sessions in `<table>_revoked`; the small
 * compare-and-set records of `src/users/` in `<table>_records`. Every
 * statement is a named prepared statement, with the table name checked and
 * quoted once at construction and every other string a bound parameter.
 *
 * `pg` is only imported as a type: the app passes its own Pool.
 */
import type { Pool, PoolClient, QueryConfig, QueryResult, QueryResultRow } from 'pg';
import { DuplicateIdError, SessionError, SessionNotFoundError, StoreUnavailableError } from '../../errors.js';
import { Value } from '../../manager/value.js';
import { encodeMeta, hintOf } from '../meta.js';
import type {
  IndexOptions,
  IndexedSession,
  MetaStorer,
  Provider,
  RenewOptions,
  RestoreOptions,
  SessionMeta,
  Storer,
  UserIndex,
} from '../provider.js';
import {
  SqlSettings,
  SqlProviderBase,
  insertedStorer,
  loginClaim,
  lostLogin,
  renewedAlias,
  rowStorer,
  unsaved,
  type SessionRow,
  type SqlOptions,
  type SweepCounts,
} from './common.js';
import { DEFAULT_TABLE, checkTableName, decodeData, encodeFields, encodeValue, quoteIdent, sqlRecordStore, tableIdents, type SqlRecordStore } from './record.js';
import { ProviderStorer } from '../storer.js';

export { DEFAULT_TABLE } from './record.js';
export type { SqlRecordStore } from './record.js';
export type { SweepCounts } from './common.js';

/** Most restores one read statement carries. */
const READ_BATCH = 64;

export interface PostgresProviderOptions extends SqlOptions {
  /**
   * Bound on each operation in milliseconds, pool acquire included; past it
   * the call rejects with `ERR_STORE_UNAVAILABLE` and a connection with the
   * statement still in flight is closed (not returned to the pool). Default 2000.
   * Set the Pool's `statement_timeout` too, so the server also gives up.
   */
  timeout?: number;
  /**
   * Seconds: a restore with touch (`rolling`), or a save, moves `expires_at`
   * only when it was set at least this long ago, so most reads write nothing
   * and most saves change no indexed column (an in-place HOT update). An idle
   * session may then expire up to this much earlier than `ttl` after its last
   * request. Must be less than the TTL. Default 0: every touch and save moves it.
   */
  touchAfter?: number;
}

/** A `pg` server error's SQLSTATE; `undefined` for anything else (a broken connection: `ECONNREFUSED`, `EPIPE`...). */
function sqlState(err: unknown): string | undefined {
  const e = err as { code?: unknown; severity?: unknown } | null;
  return typeof e?.code === 'string' && typeof e.severity === 'string' ? e.code : undefined;
}

function mapPgError(err: unknown): SessionError {
  if (err instanceof SessionError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const state = sqlState(err);
  if (state === '42P01') return new StoreUnavailableError(`session table missing (run createSchema()): ${message}`, { cause: err });
  return new StoreUnavailableError(`session store error: ${message}`, { cause: err });
}

/** Named statements, made once per table (the name must fix the text: pg prepares it once per connection). */
function statements(table: string) {
  const { t, r, rec } = tableIdents(table);
  const live = '(expires_at IS NULL OR expires_at > now())';
  // Not a login's claim (an alias behind CLAIM_MARK): the claimed ID is gone for everything but a login.
  const unclaimed = "(alias IS NULL OR left(alias, 1) <> '!')";
  const exp = (p: string): string => `CASE WHEN ${p}::integer > 0 THEN now() + make_interval(secs => ${p}::integer) END`;
  const name = (op: string): string => `ws_${op}_${table}`;
  // A save moves expires_at only when it is due (set touchAfter or more ago): most saves then change
  // no indexed column, so PostgreSQL can update the row in place (a HOT update: no index writes).
  const saveExp = (ttl: string, after: string): string =>
    `CASE WHEN ${after}::integer > 0 AND ${ttl}::integer > 0 AND expires_at > now() + make_interval(secs => ${ttl}::integer - ${after}::integer) THEN expires_at ELSE ${exp(ttl)} END`;
  return {
    restore: { name: name('restore'), text: `SELECT data::text AS data, meta, alias FROM ${t} WHERE id = $1 AND ${live}` },
    // One statement: read, and slide expires_at only when it was set at least touchAfter ($3) ago; an alias keeps its grace.
    restoreTouch: {
      name: name('restore_touch'),
      text:
        `WITH s AS (SELECT data, meta, alias FROM ${t} WHERE id = $1 AND ${live}), ` +
        `u AS (UPDATE ${t} SET expires_at = now() + make_interval(secs => $2::integer) WHERE id = $1 AND alias IS NULL AND expires_at > now() ` +
        `AND expires_at <= now() + make_interval(secs => $2::integer - $3::integer)) ` +
        `SELECT data::text AS data, meta, alias FROM s`,
    },
    // The restores of concurrent requests in one plain read, which also says per row whether expires_at is due
    // to slide (with touchAfter: then `slide`, once per touchAfter window).
    restoreMany: {
      name: name('restore_many'),
      text:
        `SELECT id, data::text AS data, meta, alias, (alias IS NULL AND expires_at > now() AND expires_at <= now() + make_interval(secs => $2::integer - $3::integer)) AS stale ` +
        `FROM ${t} WHERE id = ANY($1::text[]) AND ${live}`,
    },
    slide: {
      name: name('slide'),
      text: `UPDATE ${t} SET expires_at = now() + make_interval(secs => $2::integer) WHERE id = $1 AND alias IS NULL AND expires_at > now()`,
    },
    // Create-if-absent; a row past its expiry (not swept yet) counts as absent.
    insert: {
      name: name('insert'),
      text:
        `INSERT INTO ${t} AS t (id, data, expires_at, user_id, meta, hint) VALUES ($1, $2::jsonb, ${exp('$3')}, $4, $5, $6) ` +
        `ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data, expires_at = EXCLUDED.expires_at, user_id = EXCLUDED.user_id, ` +
        `meta = EXCLUDED.meta, hint = EXCLUDED.hint, alias = NULL, alias_ref = NULL WHERE t.expires_at <= now() RETURNING 1`,
    },
    // Per-key merge: concurrent saves of one session changing different keys both keep theirs.
    merge: {
      name: name('merge'),
      text: `UPDATE ${t} SET data = (data || $2::jsonb) - $3::text[], expires_at = ${saveExp('$4', '$5')} WHERE id = $1 AND alias IS NULL AND ${live}`,
    },
    replace: {
      name: name('replace'),
      text: `UPDATE ${t} SET data = $2::jsonb, expires_at = ${saveExp('$3', '$4')} WHERE id = $1 AND alias IS NULL AND ${live}`,
    },
    // Why a save found nothing: renewed (an alias) or gone. Only after a failed save.
    aliasOf: { name: name('alias_of'), text: `SELECT alias FROM ${t} WHERE id = $1 AND ${live}` },
    touch: {
      name: name('touch'),
      text: `UPDATE ${t} SET expires_at = CASE WHEN alias IS NULL THEN ${exp('$2')} ELSE expires_at END WHERE id = $1 AND ${unclaimed} AND ${live}`,
    },
    exists: { name: name('exists'), text: `SELECT 1 FROM ${t} WHERE id = $1 AND ${unclaimed} AND ${live}` },
    // A move is a change of primary key: one statement, a taken new ID is a unique violation (nothing changes).
    move: {
      name: name('move'),
      text: `UPDATE ${t} SET id = $2, hint = $3, expires_at = ${exp('$4')} WHERE id = $1 AND ${unclaimed} AND ${live} RETURNING data::text AS data, meta`,
    },
    // The move and, with an alias ($7), the claim it leaves on the old ID for the grace ($8 s): the new ID
    // sealed behind CLAIM_MARK and the winner's user ($9). A concurrent login waits on the row lock, then
    // finds the row moved (0 rows) and reads the claim.
    login: {
      name: name('login'),
      text:
        `WITH moved AS (UPDATE ${t} SET id = $2, hint = $3, expires_at = ${exp('$4')}, user_id = $5, meta = $6 ` +
        `WHERE id = $1 AND alias IS NULL AND ${live} RETURNING data), ` +
        `claim AS (INSERT INTO ${t} (id, data, expires_at, meta, alias, alias_ref) ` +
        `SELECT $1, '{}'::jsonb, now() + make_interval(secs => $8::integer), $9::text, $7::text, $2::text FROM moved WHERE $7::text IS NOT NULL) ` +
        `SELECT data::text AS data FROM moved`,
    },
    destroy: { name: name('destroy'), text: `DELETE FROM ${t} WHERE id = $1` },
    // Renewal in one statement: lock the old row, copy it (its data as of now) to the new ID, freeze the old one as an alias.
    renew: {
      name: name('renew'),
      text:
        `WITH old AS (SELECT id, data, alias FROM ${t} WHERE id = $1 AND ${live} FOR UPDATE), ` +
        `ins AS (INSERT INTO ${t} (id, data, expires_at, user_id, meta, hint) SELECT $2::text, data, ${exp('$5')}, $6::text, $7::text, $8::text FROM old WHERE alias IS NULL RETURNING data::text AS data), ` +
        `frz AS (UPDATE ${t} AS t SET alias = $3::text, alias_ref = $2::text, expires_at = now() + make_interval(secs => $4::integer) FROM old WHERE t.id = old.id AND old.alias IS NULL) ` +
        `SELECT (SELECT count(*) FROM old)::integer AS found, (SELECT alias FROM old) AS alias, (SELECT data FROM ins) AS data`,
    },
    // A user's live sessions under this provider's prefix ($2: apps sharing the table see only their own);
    // the user's expired rows go in the same statement (the index prunes itself).
    list: {
      name: name('list'),
      text:
        `WITH gone AS (DELETE FROM ${t} WHERE user_id = $1 AND starts_with(id, $2) AND expires_at <= now()) ` +
        `SELECT id, hint, meta, (extract(epoch FROM expires_at - now()) * 1000)::float8 AS remaining FROM ${t} ` +
        `WHERE user_id = $1 AND starts_with(id, $2) AND alias IS NULL AND ${live}`,
    },
    // Tombstones, the user's rows, and the new IDs of rows renewed meanwhile; counts the live sessions that went.
    destroyRefs: {
      name: name('destroy_refs'),
      text:
        `WITH tomb AS (INSERT INTO ${r} (id, expires_at) SELECT unnest($2::text[]), now() + make_interval(secs => $3::integer) ` +
        `ON CONFLICT (id) DO UPDATE SET expires_at = EXCLUDED.expires_at), ` +
        `d AS (DELETE FROM ${t} WHERE id = ANY($2::text[]) AND user_id = $1 RETURNING alias, alias_ref, ${live} AS alive), ` +
        `d2 AS (DELETE FROM ${t} WHERE id IN (SELECT alias_ref FROM d WHERE alias_ref IS NOT NULL) AND ${live} RETURNING 1) ` +
        `SELECT ((SELECT count(*) FROM d WHERE alive AND alias IS NULL) + (SELECT count(*) FROM d2))::integer AS n`,
    },
    revoked: { name: name('revoked'), text: `SELECT 1 FROM ${r} WHERE id = $1 AND expires_at > now()` },
    // Bounded: at most $1 rows of each table; SKIP LOCKED so app servers sweeping at once do not queue on each other.
    sweep: {
      name: name('sweep'),
      text:
        `WITH d AS (DELETE FROM ${t} WHERE id IN (SELECT id FROM ${t} WHERE expires_at <= now() ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED) RETURNING 1), ` +
        `r AS (DELETE FROM ${r} WHERE id IN (SELECT id FROM ${r} WHERE expires_at <= now() ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED) RETURNING 1) ` +
        `SELECT (SELECT count(*) FROM d)::integer AS sessions, (SELECT count(*) FROM r)::integer AS tombstones`,
    },
    // Records (RecordStore): its own statement, so a records table missing after an upgrade cannot stop the sessions' sweep.
    sweepRecords: {
      name: name('sweep_records'),
      text:
        `WITH d AS (DELETE FROM ${rec} WHERE id IN (SELECT id FROM ${rec} WHERE expires_at <= now() ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED) RETURNING 1) ` +
        `SELECT count(*)::integer AS records FROM d`,
    },
    recordGet: { name: name('record_get'), text: `SELECT body, version::text AS version FROM ${rec} WHERE id = $1 AND ${live}` },
    // Version null: create-if-absent (a record past its expiry, not swept yet, counts as absent). Concurrent
    // inserts of one id: the later waits for the first, then finds a live row and changes nothing.
    recordAdd: {
      name: name('record_add'),
      text:
        `INSERT INTO ${rec} AS t (id, body, version, expires_at) VALUES ($1, $2, 1, ${exp('$3')}) ` +
        `ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body, version = t.version + 1, expires_at = EXCLUDED.expires_at ` +
        `WHERE t.expires_at <= now() RETURNING 1`,
    },
    // Compare-and-set: a concurrent writer of the same version holds the row lock; once it commits, PostgreSQL
    // re-checks this WHERE against its new version, which no longer matches (0 rows: the caller reads again).
    recordSet: {
      name: name('record_set'),
      text: `UPDATE ${rec} SET body = $2, version = version + 1, expires_at = ${exp('$4')} WHERE id = $1 AND version = $3::bigint AND ${live}`,
    },
  };
}

type Statements = ReturnType<typeof statements>;

/** The schema (idempotent DDL) for `table`: what `createSchema()` runs and `sql/postgres.sql` holds for the default name. */
export function postgresSchema(table: string = DEFAULT_TABLE): string {
  checkTableName(table);
  const { t, r, rec } = tableIdents(table);
  return `-- wasm-session PostgresProvider schema (table ${table}); createSchema() runs this.
CREATE TABLE IF NOT EXISTS ${t} (
  id         text PRIMARY KEY,  -- prefix + hex SHA-256 of the session ID (never the ID itself)
  data       jsonb NOT NULL,    -- session key -> that key's JSON text (a JSON string)
  expires_at timestamptz,       -- idle expiry, server clock; NULL = none
  user_id    text,              -- the bound user (session.login), NULL for anonymous sessions
  meta       text,              -- login metadata (JSON: user, label, login, ID and auth times, remember-me series)
  hint       text,              -- the first characters of the session ID, for listings
  alias      text,              -- during a renewal's grace window: the sealed new ID
  alias_ref  text               -- ... and its row's id
) WITH (fillfactor = 80);       -- room on each page for in-place (HOT) updates of saves
CREATE INDEX IF NOT EXISTS ${quoteIdent(table + '_expires_at')} ON ${t} (expires_at);
CREATE INDEX IF NOT EXISTS ${quoteIdent(table + '_user_id')} ON ${t} (user_id) WHERE user_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS ${r} (
  id         text PRIMARY KEY,  -- the revoked session's row id
  expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS ${quoteIdent(table + '_revoked_expires_at')} ON ${r} (expires_at);
CREATE TABLE IF NOT EXISTS ${rec} (
  id         text PRIMARY KEY,  -- prefix + hex SHA-256 of the record's name (names carry user IDs)
  body       text NOT NULL,     -- the record (remember-me series, device details, eviction marks)
  version    bigint NOT NULL,   -- compare-and-set: a write names the version it read
  expires_at timestamptz        -- server clock; NULL = none
);
CREATE INDEX IF NOT EXISTS ${quoteIdent(table + '_records_expires_at')} ON ${rec} (expires_at);
`;
}

type Row = QueryResultRow;

export class PostgresProvider extends SqlProviderBase implements Provider {
  readonly #pool: Pool;
  /** The settings the base class holds too (read directly on the hot path). */
  readonly #settings: SqlSettings;
  readonly #sql: Statements;
  /** The user index (`session.login` and friends): the `user_id` column. */
  readonly users: UserIndex;
  /** Small compare-and-set records (remember-me series, device limit): the `<table>_records` table. */
  readonly records: SqlRecordStore;

  constructor(pool: Pool, options: PostgresProviderOptions = {}) {
    const settings = new SqlSettings(options);
    super(settings);
    this.#pool = pool;
    this.#settings = settings;
    this.#sql = statements(settings.table);
    // An idle pooled connection that dies (a PostgreSQL restart) makes the Pool emit 'error': without a
    // listener that would end the process. The next operation reports the outage as ERR_STORE_UNAVAILABLE.
    if (pool.listenerCount('error') === 0) pool.on('error', () => {});
    this.users = {
      ref: (sid) => settings.ref(sid),
      login: (sid, newSid, value, meta, options) => this.#login(sid, newSid, value, meta, options),
      logout: async (sid) => {
        await this.#query(this.#sql.destroy, [this.keyFor(sid)], 'destroy');
      },
      list: (userId) => this.#list(userId),
      destroy: (userId, refs) => this.#destroyRefs(userId, refs),
      revoked: async (sid) => (await this.#query(this.#sql.revoked, [this.keyFor(sid)], 'restore')).rowCount === 1,
    };
    this.records = sqlRecordStore(settings.prefix, {
      get: async (id) => {
        const row = (await this.#query(this.#sql.recordGet, [id], 'record get')).rows[0];
        return row === undefined ? null : { text: row.body as string, version: row.version as string };
      },
      add: async (id, text, seconds) => (await this.#query(this.#sql.recordAdd, [id, text, seconds], 'record put')).rowCount === 1,
      set: async (id, text, version, seconds) =>
        (await this.#query(this.#sql.recordSet, [id, text, String(version), seconds], 'record put')).rowCount === 1,
    });
    this.startSweeps();
  }

  /**
   * Creates the tables and indexes if they are missing (idempotent; safe from
   * several processes at once: serialized by an advisory lock). Run it at
   * deployment or start-up: no operation ever runs DDL by itself.
   */
  async createSchema(): Promise<void> {
    const client = await this.#pool.connect().catch((err: unknown) => {
      throw mapPgError(err);
    });
    // Held: the Pool does not listen to a checked-out client's errors (its queries then reject).
    guard(client);
    try {
      await client.query('BEGIN');
      await client.query("SELECT pg_advisory_xact_lock(hashtext('wasm-session:schema'))");
      await client.query(postgresSchema(this.#settings.table));
      await client.query('COMMIT');
      client.release();
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      client.release();
      throw mapPgError(err);
    }
  }

  /** Deletes up to `sweepLimit` expired sessions, as many expired tombstones and as many expired records; resolves with the counts. */
  async sweep(): Promise<SweepCounts> {
    const limit = this.#settings.sweepLimit;
    const res = await this.#query(this.#sql.sweep, [limit], 'sweep');
    const row = res.rows[0] as { sessions: number; tombstones: number };
    const rec = await this.#query(this.#sql.sweepRecords, [limit], 'sweep');
    return { sessions: row.sessions, tombstones: row.tombstones, records: (rec.rows[0] as { records: number }).records };
  }

  async new(sid: string, initial?: Value): Promise<Storer> {
    const value = initial ?? new Value();
    const res = await this.#query(this.#sql.insert, [this.keyFor(sid), encodeValue(value), this.#settings.ttl, null, null, null], 'new');
    return insertedStorer(this, sid, value, res.rowCount === 1);
  }

  async restore(sid: string, options?: RestoreOptions): Promise<Storer> {
    const s = this.#settings;
    const key = s.keyFor(sid);
    const touch = options?.touch === true && s.ttl > 0;
    if (touch && s.touchAfter === 0) {
      // Every touch writes: the read and the slide in one statement.
      const row = (await this.#query(this.#sql.restoreTouch, [key, s.ttl, s.touchAfter], 'restore')).rows[0];
      if (row === undefined) throw new SessionNotFoundError();
      return rowStorer(this, sid, row as SessionRow);
    }
    // A plain read (batched with the other requests' reads of this turn); with touchAfter, most need no write.
    const row = await this.#read(key);
    if (row === undefined) throw new SessionNotFoundError();
    const storer = rowStorer(this, sid, row as SessionRow);
    if (touch && row.stale === true) await this.#query(this.#sql.slide, [key, s.ttl], 'restore');
    return storer;
  }

  /** Reads waiting for this turn's batch: row id → its waiters. */
  #reads: Map<string, ((row: Row | undefined, err?: unknown) => void)[]> | null = null;

  /**
   * One row by id, read together with the other restores that arrive in the
   * same turn of the event loop (one `SELECT … WHERE id = ANY($1)` for up to
   * READ_BATCH of them): under load most requests then share a statement.
   */
  #read(key: string): Promise<Row | undefined> {
    return new Promise((resolve, reject) => {
      let batch = this.#reads;
      if (batch === null) {
        batch = this.#reads = new Map();
        setImmediate(() => this.#flushReads(batch as Map<string, ((row: Row | undefined, err?: unknown) => void)[]>));
      }
      const done = (row: Row | undefined, err?: unknown): void => (err === undefined ? resolve(row) : reject(err));
      const waiting = batch.get(key);
      if (waiting === undefined) batch.set(key, [done]);
      else waiting.push(done);
      if (batch.size >= READ_BATCH) this.#flushReads(batch);
    });
  }

  #flushReads(batch: Map<string, ((row: Row | undefined, err?: unknown) => void)[]>): void {
    if (this.#reads !== batch) return; // flushed already (full)
    this.#reads = null;
    this.#query(this.#sql.restoreMany, [[...batch.keys()], this.#settings.ttl, this.#settings.touchAfter], 'restore').then(
      (res) => {
        const byId = new Map<string, Row>();
        for (const row of res.rows) byId.set(row.id as string, row);
        for (const [key, waiting] of batch) {
          const row = byId.get(key);
          for (const done of waiting) done(row);
        }
      },
      (err: unknown) => {
        for (const waiting of batch.values()) for (const done of waiting) done(undefined, err);
      },
    );
  }

  /**
   * Reads `sid` (a corrupt record is refused before anything moves), then
   * moves it to `newSid` by changing its primary key: one statement, so at no
   * moment does neither ID hold it, and a save that landed in between moves too.
   */
  async refresh(sid: string, newSid: string): Promise<Storer> {
    const key = this.keyFor(sid);
    const before = (await this.#query(this.#sql.restore, [key], 'refresh')).rows[0];
    if (before === undefined) throw new SessionNotFoundError();
    rowStorer(this, sid, before as SessionRow); // a corrupt record is refused before anything moves
    const res = await this.#query(this.#sql.move, [key, this.keyFor(newSid), hintOf(newSid), this.#settings.ttl], 'refresh', true);
    const row = res.rows[0];
    if (row === undefined) throw new SessionNotFoundError();
    return rowStorer(this, newSid, { data: row.data as string, meta: row.meta as string | null, alias: null });
  }

  async destroy(sid: string): Promise<void> {
    await this.#query(this.#sql.destroy, [this.keyFor(sid)], 'destroy');
  }

  /** @internal Writes `v`'s changes (or all of it with `full`) into an existing session. */
  async save(sid: string, v: Value, full: boolean): Promise<void> {
    const s = this.#settings;
    const key = s.keyFor(sid);
    const changes = v.changes();
    const res =
      full || changes.cleared
        ? await this.#query(this.#sql.replace, [key, encodeValue(v), s.ttl, s.touchAfter], 'save')
        : await this.#query(this.#sql.merge, [key, encodeFields(changes.set), [...changes.deleted], s.ttl, s.touchAfter], 'save');
    if (res.rowCount === 1) return;
    throw unsaved((await this.#query(this.#sql.aliasOf, [key], 'save')).rows[0]?.alias as string | null | undefined);
  }

  /** @internal */
  async touch(sid: string): Promise<void> {
    const key = this.keyFor(sid);
    const ttl = this.#settings.ttl;
    const res = ttl > 0 ? await this.#query(this.#sql.touch, [key, ttl], 'touch') : await this.#query(this.#sql.exists, [key], 'touch');
    if (res.rowCount !== 1) throw new SessionNotFoundError();
  }

  async #login(sid: string | null, newSid: string, value: Value, meta: SessionMeta, options: IndexOptions): Promise<MetaStorer> {
    const userId = meta.userId as string;
    const metaJson = encodeMeta(meta);
    const newKey = this.keyFor(newSid);
    const ttl = this.#settings.ttl;
    if (sid === null) {
      const res = await this.#query(this.#sql.insert, [newKey, encodeValue(value), ttl, userId, metaJson, hintOf(newSid)], 'refresh');
      return insertedStorer(this, newSid, value, res.rowCount === 1, meta);
    }
    // The binding, the new ID and the claim in one statement: the old ID is gone (fixation) the moment the new one exists.
    const key = this.keyFor(sid);
    const claim = loginClaim(options, userId);
    const res = await this.#query(
      this.#sql.login,
      [key, newKey, hintOf(newSid), ttl, userId, metaJson, claim?.alias ?? null, claim?.grace ?? 1, claim?.meta ?? null],
      'refresh',
      true,
    );
    const row = res.rows[0];
    if (row === undefined) throw lostLogin((await this.#query(this.#sql.restore, [key], 'refresh')).rows[0], meta);
    return new ProviderStorer(this, newSid, decodeData(row.data as string), meta);
  }

  /**
   * Renewal in one statement (see `statements().renew`): the old row is locked,
   * copied to the new ID as it is now, and frozen as an alias for the grace
   * window; a save waiting on the lock then finds the alias and is redirected.
   */
  async renew(sid: string, newSid: string, options: RenewOptions): Promise<MetaStorer | { alias: string } | null> {
    const res = await this.#query(
      this.#sql.renew,
      [
        this.keyFor(sid),
        this.keyFor(newSid),
        options.alias,
        Math.max(1, options.grace),
        this.#settings.ttl,
        options.meta.userId ?? null,
        encodeMeta(options.meta),
        hintOf(newSid),
      ],
      'refresh',
      true,
    );
    const row = res.rows[0] as { found: number; alias: string | null; data: string | null };
    if (row.found === 0) return null;
    if (row.alias !== null) return renewedAlias(row.alias);
    return new ProviderStorer(this, newSid, decodeData(row.data as string), options.meta);
  }

  async #list(userId: string): Promise<IndexedSession[]> {
    const s = this.#settings;
    const res = await this.#query(this.#sql.list, [userId, s.prefix], 'restore');
    const now = Date.now();
    const out: IndexedSession[] = [];
    for (const row of res.rows) {
      const listed = s.listed(row as { id: string; hint: string | null; meta: string | null }, row.remaining as number | null, now);
      if (listed !== null) out.push(listed); // else a row this library did not write: not listed
    }
    return out;
  }

  async #destroyRefs(userId: string, refs: readonly string[]): Promise<number> {
    if (refs.length === 0) return 0;
    const ids = [...new Set(refs)].map((ref) => this.#settings.prefix + ref);
    const res = await this.#query(this.#sql.destroyRefs, [userId, ids, this.#settings.tombstoneSeconds()], 'destroy');
    return (res.rows[0] as { n: number }).n;
  }

  /**
   * One statement on a pooled connection, within the deadline (acquire and
   * statement). Past it: `StoreUnavailableError`; a connection acquired late
   * is handed back unused, one with the statement in flight is closed (so a
   * hung server cannot pin the pool). `unique`: a unique violation means the
   * new ID is taken. Callbacks, not promises, inside: this runs twice per request.
   */
  #query(stmt: { name: string; text: string }, values: unknown[], what: string, unique = false): Promise<QueryResult> {
    return new Promise<QueryResult>((resolve, reject) => {
      const op = new PendingQuery(this.#pending, resolve, reject, unique, what, this.#settings.timeout);
      if (op.deadline !== Infinity) this.#watch();
      this.#pool.connect((err, c) => {
        if (err !== undefined || c === undefined) {
          op.finish(err ?? new Error('no connection'));
          return;
        }
        if (op.done) {
          c.release(); // acquired after the deadline: unused, so back to the pool
          return;
        }
        op.client = c;
        guard(c).op = op;
        c.query({ name: stmt.name, text: stmt.text, values } as QueryConfig, (qerr: Error | undefined, res: QueryResult) => {
          if (op.client === c) {
            op.client = null;
            guard(c).op = null;
            // A statement error leaves the connection usable; a broken connection is closed.
            c.release(qerr !== undefined && sqlState(qerr) === undefined ? qerr : undefined);
          }
          op.finish(qerr, res);
        });
      });
    });
  }

  /** Statements in flight with a deadline, checked by one timer (not a timer per statement). */
  readonly #pending = new Set<PendingQuery>();
  #ticker: ReturnType<typeof setInterval> | null = null;

  #watch(): void {
    if (this.#ticker !== null) return;
    // A tick of an eighth of the deadline (10 to 250 ms): a late answer is cut off at most that much past it.
    const tick = Math.max(10, Math.min(250, Math.floor(this.#settings.timeout / 8)));
    this.#ticker = setInterval(() => {
      const now = Date.now();
      for (const op of this.#pending) if (op.deadline <= now) op.expire();
      if (this.#pending.size === 0 && this.#ticker !== null) {
        clearInterval(this.#ticker);
        this.#ticker = null;
      }
    }, tick);
    this.#ticker.unref();
  }
}

/** What a pooled connection is doing for this provider: the statement it runs, if any. */
interface Guard {
  op: PendingQuery | null;
}
const guards = new WeakMap<PoolClient, Guard>();

/**
 * An 'error' listener on every connection this provider takes from the Pool,
 * once per connection. While a client is checked out the Pool does not listen
 * to it (node-postgres: the holder must), and a connection that dies before
 * its statement is sent (a PostgreSQL restart, an immediate stop, a failover:
 * "Connection terminated unexpectedly") emits 'error' on the client, which
 * with no listener ends the process. The statement it was running fails with
 * ERR_STORE_UNAVAILABLE and the connection is closed, not returned.
 */
function guard(c: PoolClient): Guard {
  let g = guards.get(c);
  if (g === undefined) {
    const made: Guard = { op: null };
    g = made;
    guards.set(c, made);
    c.on('error', (err: Error) => {
      const op = made.op;
      made.op = null;
      if (op === null || op.client !== c) return; // idle in the Pool: the Pool's own listener drops it
      op.client = null;
      c.release(err);
      op.finish(err);
    });
  }
  return g;
}

/** One statement in flight: settles once, by its answer or by its deadline. */
class PendingQuery {
  done = false;
  client: PoolClient | null = null;
  readonly deadline: number;

  constructor(
    readonly pending: Set<PendingQuery>,
    readonly resolve: (res: QueryResult) => void,
    readonly reject: (err: SessionError) => void,
    readonly unique: boolean,
    readonly what: string,
    readonly ms: number,
  ) {
    this.deadline = ms > 0 && ms <= 0x7fffffff ? Date.now() + ms : Infinity;
    if (this.deadline !== Infinity) pending.add(this);
  }

  finish(err: unknown, res?: QueryResult): void {
    if (this.done) return;
    this.done = true;
    this.pending.delete(this);
    if (err === undefined || err === null) this.resolve(res as QueryResult);
    else if (this.unique && sqlState(err) === '23505') this.reject(new DuplicateIdError());
    else this.reject(mapPgError(err));
  }

  expire(): void {
    this.finish(new StoreUnavailableError(`session store did not answer ${this.what} within ${this.ms} ms`));
    if (this.client !== null) {
      // Closed, not returned: its statement may still be running or the server hung.
      const c = this.client;
      this.client = null;
      guards.get(c)!.op = null;
      c.release(new Error('session store deadline passed'));
    }
  }
}
