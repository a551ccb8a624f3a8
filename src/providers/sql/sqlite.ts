/** @module providers/sqlite */
/**
 * SQLite provider over a `node:sqlite` `DatabaseSync` the app opens and owns
 * (Node >= 22.5; no dependency): sessions that survive a restart on a single
 * server, without a separate store. Synchronous, like MemoryProvider: a
 * returning request restores without a promise (`restoreSync`) and a changed
 * session is written before the response goes (`setValueSync`).
 *
 * Layout as the PostgreSQL provider's (see `src/providers/sql/sqlite.sql`),
 * with `expires_at` in ms since the epoch (this process's clock). The module
 * never imports `node:sqlite`: it takes the app's database object.
 */
import { CorruptRecordError, DuplicateIdError, SessionError, SessionNotFoundError, StoreUnavailableError } from '../../errors.js';
import { Value } from '../../manager/value.js';
import { encodeMeta, hintOf } from '../meta.js';
import type {
  IndexedSession,
  IndexOptions,
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
  type SqlOptions,
  type SweepCounts,
} from './common.js';
import { DEFAULT_TABLE, checkTableName, decodeData, encodeFields, encodeValue, quoteIdent, sqlRecordStore, tableIdents, type SqlRecordStore } from './record.js';
import { ProviderStorer } from '../storer.js';

export { DEFAULT_TABLE } from './record.js';
export type { SqlRecordStore } from './record.js';
export type { SweepCounts } from './common.js';

/** A value SQLite binds. */
export type SqliteValue = null | number | bigint | string | Uint8Array;

/** What the provider uses of a prepared statement (`node:sqlite`'s `StatementSync` has it). */
export interface SqliteStatement {
  run(...params: SqliteValue[]): { changes: number | bigint };
  get(...params: SqliteValue[]): unknown;
  all(...params: SqliteValue[]): unknown[];
}

/** What the provider uses of a database (`node:sqlite`'s `DatabaseSync` has it). */
export interface SqliteDatabase {
  exec(sql: string): void;
  prepare(sql: string): SqliteStatement;
}

export interface SqliteProviderOptions extends SqlOptions {
  /**
   * How long a statement waits for another connection's write lock, in ms
   * (SQLite's busy timeout, set on the database when it has none); past it the
   * call throws `ERR_STORE_UNAVAILABLE`. Default 2000.
   */
  timeout?: number;
}

/** A node:sqlite error's SQLite result code (the primary code, low byte), if any. */
function sqliteCode(err: unknown): number | undefined {
  const code = (err as { errcode?: unknown } | null)?.errcode;
  return typeof code === 'number' ? code & 0xff : undefined;
}

const SQLITE_CONSTRAINT = 19;

function mapSqliteError(err: unknown): SessionError {
  if (err instanceof SessionError) return err;
  const message = err instanceof Error ? err.message : String(err);
  // json_patch over a `data` that is not JSON: the record is unreadable, not the store.
  if (/malformed JSON/i.test(message)) return new CorruptRecordError('session record is not JSON', { cause: err });
  if (/no such table/i.test(message)) return new StoreUnavailableError(`session table missing (run createSchema()): ${message}`, { cause: err });
  return new StoreUnavailableError(`session store error: ${message}`, { cause: err });
}

/** The schema (idempotent DDL) for `table`: what `createSchema()` runs and `sql/sqlite.sql` holds for the default name. */
export function sqliteSchema(table: string = DEFAULT_TABLE): string {
  checkTableName(table);
  const { t, r, rec } = tableIdents(table);
  return `-- wasm-session SqliteProvider schema (table ${table}); createSchema() runs this (and sets journal_mode=WAL).
CREATE TABLE IF NOT EXISTS ${t} (
  id         TEXT PRIMARY KEY NOT NULL,  -- prefix + hex SHA-256 of the session ID (never the ID itself)
  data       TEXT NOT NULL,              -- JSON object: session key -> that key's JSON text (a JSON string)
  expires_at INTEGER,                    -- idle expiry, ms since the epoch; NULL = none
  user_id    TEXT,                       -- the bound user (session.login), NULL for anonymous sessions
  meta       TEXT,                       -- login metadata (JSON: user, label, login, ID and auth times, remember-me series)
  hint       TEXT,                       -- the first characters of the session ID, for listings
  alias      TEXT,                       -- during a renewal's grace window: the sealed new ID
  alias_ref  TEXT                        -- ... and its row's id
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ${quoteIdent(table + '_expires_at')} ON ${t} (expires_at);
CREATE INDEX IF NOT EXISTS ${quoteIdent(table + '_user_id')} ON ${t} (user_id) WHERE user_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS ${r} (
  id         TEXT PRIMARY KEY NOT NULL,  -- the revoked session's row id
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ${quoteIdent(table + '_revoked_expires_at')} ON ${r} (expires_at);
CREATE TABLE IF NOT EXISTS ${rec} (
  id         TEXT PRIMARY KEY NOT NULL,  -- prefix + hex SHA-256 of the record's name (names carry user IDs)
  body       TEXT NOT NULL,              -- the record (remember-me series, device details, eviction marks)
  version    INTEGER NOT NULL,           -- compare-and-set: a write names the version it read
  expires_at INTEGER                     -- ms since the epoch; NULL = none
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ${quoteIdent(table + '_records_expires_at')} ON ${rec} (expires_at);
`;
}

function sqlText(table: string) {
  const { t, r, rec } = tableIdents(table);
  // ?NOW is this process's clock in ms, bound per statement.
  const live = '(expires_at IS NULL OR expires_at > @now)';
  const saveExp = 'CASE WHEN @due IS NOT NULL AND expires_at > @due THEN expires_at ELSE @exp END';
  // Not a login's claim (an alias behind CLAIM_MARK): the claimed ID is gone for everything but a login.
  const unclaimed = "(alias IS NULL OR substr(alias, 1, 1) <> '!')";
  return {
    restore: `SELECT data, meta, alias, expires_at FROM ${t} WHERE id = @id AND ${live}`,
    slide: `UPDATE ${t} SET expires_at = @exp WHERE id = @id AND alias IS NULL AND expires_at > @now`,
    insert:
      `INSERT INTO ${t} (id, data, expires_at, user_id, meta, hint) VALUES (@id, @data, @exp, @user, @meta, @hint) ` +
      `ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at, user_id = excluded.user_id, ` +
      `meta = excluded.meta, hint = excluded.hint, alias = NULL, alias_ref = NULL WHERE ${t}.expires_at <= @now`,
    // Per-key merge (RFC 7396 merge patch: a string replaces, null deletes).
    // expires_at moves only when due (@due: set touchAfter or more ago; NULL = always), as PostgreSQL's saves.
    merge: `UPDATE ${t} SET data = json_patch(data, @patch), expires_at = ${saveExp} WHERE id = @id AND alias IS NULL AND ${live}`,
    replace: `UPDATE ${t} SET data = @data, expires_at = ${saveExp} WHERE id = @id AND alias IS NULL AND ${live}`,
    aliasOf: `SELECT alias FROM ${t} WHERE id = @id AND ${live}`,
    touch: `UPDATE ${t} SET expires_at = CASE WHEN alias IS NULL THEN @exp ELSE expires_at END WHERE id = @id AND ${unclaimed} AND ${live}`,
    exists: `SELECT 1 AS x FROM ${t} WHERE id = @id AND ${unclaimed} AND ${live}`,
    move: `UPDATE ${t} SET id = @next, hint = @hint, expires_at = @exp WHERE id = @id AND ${unclaimed} AND ${live} RETURNING data, meta`,
    login:
      `UPDATE ${t} SET id = @next, hint = @hint, expires_at = @exp, user_id = @user, meta = @meta ` +
      `WHERE id = @id AND alias IS NULL AND ${live} RETURNING data`,
    // What a won login leaves on the old ID for the grace: the new ID sealed behind CLAIM_MARK, the winner's user.
    claim: `INSERT INTO ${t} (id, data, expires_at, meta, alias, alias_ref) VALUES (@id, '{}', @grace, @meta, @alias, @next)`,
    destroy: `DELETE FROM ${t} WHERE id = @id`,
    copy:
      `INSERT INTO ${t} (id, data, expires_at, user_id, meta, hint) SELECT @next, data, @exp, @user, @meta, @hint FROM ${t} WHERE id = @id RETURNING data`,
    freeze: `UPDATE ${t} SET alias = @alias, alias_ref = @next, expires_at = @grace WHERE id = @id`,
    // Only this provider's prefix: apps sharing the table see only their own sessions.
    prune: `DELETE FROM ${t} WHERE user_id = @user AND substr(id, 1, length(@prefix)) = @prefix AND expires_at <= @now`,
    list: `SELECT id, hint, meta, expires_at FROM ${t} WHERE user_id = @user AND substr(id, 1, length(@prefix)) = @prefix AND alias IS NULL AND ${live}`,
    tomb: `INSERT INTO ${r} (id, expires_at) VALUES (@id, @exp) ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at`,
    take: `DELETE FROM ${t} WHERE id = @id AND user_id = @user RETURNING alias, alias_ref, ${live} AS alive`,
    takeTarget: `DELETE FROM ${t} WHERE id = @id AND ${live} RETURNING 1 AS x`,
    revoked: `SELECT 1 AS x FROM ${r} WHERE id = @id AND expires_at > @now`,
    sweep: `DELETE FROM ${t} WHERE id IN (SELECT id FROM ${t} WHERE expires_at <= @now ORDER BY expires_at LIMIT @limit)`,
    sweepRevoked: `DELETE FROM ${r} WHERE id IN (SELECT id FROM ${r} WHERE expires_at <= @now ORDER BY expires_at LIMIT @limit)`,
    sweepRecords: `DELETE FROM ${rec} WHERE id IN (SELECT id FROM ${rec} WHERE expires_at <= @now ORDER BY expires_at LIMIT @limit)`,
    recordGet: `SELECT body, version FROM ${rec} WHERE id = @id AND ${live}`,
    // Version null: create-if-absent (a record past its expiry, not swept yet, counts as absent).
    recordAdd:
      `INSERT INTO ${rec} (id, body, version, expires_at) VALUES (@id, @body, 1, @exp) ` +
      `ON CONFLICT (id) DO UPDATE SET body = excluded.body, version = ${rec}.version + 1, expires_at = excluded.expires_at WHERE ${rec}.expires_at <= @now`,
    // Compare-and-set in one statement (SQLite runs one writer at a time, across connections and processes).
    recordSet: `UPDATE ${rec} SET body = @body, version = version + 1, expires_at = @exp WHERE id = @id AND version = @version AND ${live}`,
  };
}

type SqlName = keyof ReturnType<typeof sqlText>;
type Params = Record<string, SqliteValue>;
interface NamedStatement {
  run(params: Params): { changes: number | bigint };
  get(params: Params): unknown;
  all(params: Params): unknown[];
}
interface Row {
  data: string;
  meta: string | null;
  alias: string | null;
  expires_at: number | null;
}

export class SqliteProvider extends SqlProviderBase implements Provider {
  readonly #db: SqliteDatabase;
  /** The settings the base class holds too (read directly on the hot path). */
  readonly #settings: SqlSettings;
  readonly #text: ReturnType<typeof sqlText>;
  /** Prepared on first use (the table may be created after the provider). */
  readonly #stmts = new Map<SqlName, NamedStatement>();
  #savepoint = 0;
  /** Saves and touches are done when they return: a changed session does not delay its response. */
  readonly synchronous = true;
  /** The user index (`session.login` and friends): the `user_id` column. */
  readonly users: UserIndex;
  /** Small compare-and-set records (remember-me series, device limit): the `<table>_records` table. */
  readonly records: SqlRecordStore;

  constructor(db: SqliteDatabase, options: SqliteProviderOptions = {}) {
    const settings = new SqlSettings(options);
    super(settings);
    this.#db = db;
    this.#settings = settings;
    const timeout = settings.timeout;
    this.#text = sqlText(settings.table);
    // The per-operation deadline: how long a statement waits on another connection's lock. The app's own setting wins.
    this.#run(() => {
      const current = db.prepare('PRAGMA busy_timeout').get() as { timeout?: number } | undefined;
      if ((current?.timeout ?? 0) === 0 && timeout > 0) db.exec(`PRAGMA busy_timeout = ${Math.min(Math.floor(timeout), 0x7fffffff)}`);
    });
    this.users = {
      ref: (sid) => settings.ref(sid),
      login: async (sid, newSid, value, meta, options) => this.#login(sid, newSid, value, meta, options),
      logout: async (sid) => {
        this.#run(() => this.#stmt('destroy').run({ id: this.keyFor(sid) }));
      },
      list: async (userId) => this.#list(userId),
      destroy: async (userId, refs) => this.#destroyRefs(userId, refs),
      revoked: async (sid) => this.#run(() => this.#stmt('revoked').get({ id: this.keyFor(sid), now: Date.now() }) !== undefined),
    };
    this.records = sqlRecordStore(settings.prefix, {
      get: (id) => {
        const row = this.#run(() => this.#stmt('recordGet').get({ id, now: Date.now() })) as { body: string; version: number | bigint } | undefined;
        return row === undefined ? null : { text: row.body, version: String(row.version) };
      },
      add: (id, text, seconds) => {
        const now = Date.now();
        return Number(this.#run(() => this.#stmt('recordAdd').run({ id, body: text, exp: seconds > 0 ? now + seconds * 1000 : null, now })).changes) === 1;
      },
      set: (id, text, version, seconds) => {
        const now = Date.now();
        const exp = seconds > 0 ? now + seconds * 1000 : null;
        return Number(this.#run(() => this.#stmt('recordSet').run({ id, body: text, exp, version, now })).changes) === 1;
      },
    });
    this.startSweeps();
  }

  /**
   * Creates the tables and indexes if missing (idempotent) and switches the
   * database to WAL (readers never wait for the writer; a save is durable once
   * it returns, against a crash of the process). No operation runs DDL by itself.
   */
  createSchema(): void {
    this.#run(() => {
      this.#db.exec('PRAGMA journal_mode = WAL');
      this.#db.exec(sqliteSchema(this.#settings.table));
    });
  }

  /** Deletes up to `sweepLimit` expired sessions, as many expired tombstones and as many expired records. */
  sweep(): SweepCounts {
    const p = { now: Date.now(), limit: this.#settings.sweepLimit };
    const done = this.#run(() => ({ sessions: Number(this.#stmt('sweep').run(p).changes), tombstones: Number(this.#stmt('sweepRevoked').run(p).changes) }));
    // After the sessions: a records table missing after an upgrade (createSchema() not re-run) cannot stop their sweep.
    return { ...done, records: this.#run(() => Number(this.#stmt('sweepRecords').run(p).changes)) };
  }

  #exp(now: number): number | null {
    const ttl = this.#settings.ttl;
    return ttl > 0 ? now + ttl * 1000 : null;
  }

  async new(sid: string, initial?: Value): Promise<Storer> {
    const value = initial ?? new Value();
    const now = Date.now();
    const { changes } = this.#run(() =>
      this.#stmt('insert').run({ id: this.keyFor(sid), data: encodeValue(value), exp: this.#exp(now), user: null, meta: null, hint: null, now }),
    );
    return insertedStorer(this, sid, value, Number(changes) === 1);
  }

  async restore(sid: string, options?: RestoreOptions): Promise<Storer> {
    return this.restoreSync(sid, options);
  }

  /** `restore`, synchronous (the manager's returning requests use it). */
  restoreSync(sid: string, options?: RestoreOptions): Storer {
    const s = this.#settings;
    const id = s.keyFor(sid);
    const now = Date.now();
    const row = this.#run(() => this.#stmt('restore').get({ id, now })) as Row | undefined;
    if (row === undefined) throw new SessionNotFoundError();
    const storer = rowStorer(this, sid, row);
    // Slide only when expires_at was set touchAfter ago or more: most reads write nothing.
    if (options?.touch === true && s.ttl > 0 && row.alias === null && row.expires_at !== null && row.expires_at <= now + (s.ttl - s.touchAfter) * 1000) {
      this.#run(() => this.#stmt('slide').run({ id, exp: now + s.ttl * 1000, now }));
    }
    return storer;
  }

  async refresh(sid: string, newSid: string): Promise<Storer> {
    const id = this.keyFor(sid);
    const now = Date.now();
    const before = this.#run(() => this.#stmt('restore').get({ id, now })) as Row | undefined;
    if (before === undefined) throw new SessionNotFoundError();
    rowStorer(this, sid, before); // a corrupt record is refused before anything moves
    const row = this.#run(
      () => this.#stmt('move').get({ id, next: this.keyFor(newSid), hint: hintOf(newSid), exp: this.#exp(now), now }),
      true,
    ) as Row | undefined;
    if (row === undefined) throw new SessionNotFoundError();
    return rowStorer(this, newSid, { data: row.data, meta: row.meta, alias: null });
  }

  async destroy(sid: string): Promise<void> {
    this.#run(() => this.#stmt('destroy').run({ id: this.keyFor(sid) }));
  }

  /** @internal Writes `v`'s changes (or all of it with `full`) into an existing session; done when it returns. */
  save(sid: string, v: Value, full: boolean): void {
    const s = this.#settings;
    const id = s.keyFor(sid);
    const now = Date.now();
    const changes = v.changes();
    const exp = this.#exp(now);
    const due = s.touchAfter > 0 && s.ttl > 0 ? now + (s.ttl - s.touchAfter) * 1000 : null;
    const { changes: n } = this.#run(() =>
      full || changes.cleared
        ? this.#stmt('replace').run({ id, data: encodeValue(v), exp, due, now })
        : this.#stmt('merge').run({ id, patch: patchOf(changes.set, changes.deleted), exp, due, now }),
    );
    if (Number(n) === 1) return;
    throw unsaved((this.#run(() => this.#stmt('aliasOf').get({ id, now })) as { alias: string | null } | undefined)?.alias);
  }

  /** @internal */
  touch(sid: string): void {
    const id = this.keyFor(sid);
    const now = Date.now();
    const found = this.#run(() =>
      this.#settings.ttl > 0 ? Number(this.#stmt('touch').run({ id, exp: this.#exp(now), now }).changes) === 1 : this.#stmt('exists').get({ id, now }) !== undefined,
    );
    if (!found) throw new SessionNotFoundError();
  }

  /**
   * A move nothing can interleave (one writer, one transaction): of
   * concurrent logins of one ID the first wins, and with `options.alias` the
   * old ID keeps a claim for `options.grace` seconds that only a login of the
   * same user joins (`SessionMovedError`, see `lost`); anything else finds it gone.
   */
  #login(sid: string | null, newSid: string, value: Value, meta: SessionMeta, options: IndexOptions): MetaStorer {
    const userId = meta.userId as string;
    const now = Date.now();
    const next = this.keyFor(newSid);
    const metaJson = encodeMeta(meta);
    if (sid === null) {
      const { changes } = this.#run(() =>
        this.#stmt('insert').run({ id: next, data: encodeValue(value), exp: this.#exp(now), user: userId, meta: metaJson, hint: hintOf(newSid), now }),
      );
      return insertedStorer(this, newSid, value, Number(changes) === 1, meta);
    }
    const id = this.keyFor(sid);
    const data = this.#transaction(() => {
      let row: { data: string } | undefined;
      try {
        row = this.#stmt('login').get({ id, next, hint: hintOf(newSid), exp: this.#exp(now), user: userId, meta: metaJson, now }) as { data: string } | undefined;
      } catch (err) {
        if (sqliteCode(err) === SQLITE_CONSTRAINT) throw new DuplicateIdError();
        throw err;
      }
      if (row === undefined) throw lostLogin(this.#stmt('restore').get({ id, now }) as Row | undefined, meta);
      const claim = loginClaim(options, userId);
      if (claim !== null) this.#stmt('claim').run({ id, next, grace: now + claim.grace * 1000, meta: claim.meta, alias: claim.alias });
      return row.data;
    });
    return new ProviderStorer(this, newSid, decodeData(data), meta);
  }

  /** Renewal in one transaction: copy the record to `newSid` as it is now, then freeze `sid` as an alias for the grace window. */
  async renew(sid: string, newSid: string, options: RenewOptions): Promise<MetaStorer | { alias: string } | null> {
    const id = this.keyFor(sid);
    const next = this.keyFor(newSid);
    const now = Date.now();
    return this.#transaction(() => {
      const row = this.#stmt('restore').get({ id, now }) as Row | undefined;
      if (row === undefined) return null;
      if (row.alias !== null) return renewedAlias(row.alias);
      let copied: { data: string } | undefined;
      try {
        copied = this.#stmt('copy').get({
          id,
          next,
          exp: this.#exp(now),
          user: options.meta.userId ?? null,
          meta: encodeMeta(options.meta),
          hint: hintOf(newSid),
        }) as { data: string } | undefined;
      } catch (err) {
        if (sqliteCode(err) === SQLITE_CONSTRAINT) throw new DuplicateIdError();
        throw err;
      }
      this.#stmt('freeze').run({ id, alias: options.alias, next, grace: now + Math.max(1, options.grace) * 1000 });
      return new ProviderStorer(this, newSid, decodeData((copied as { data: string }).data), options.meta);
    });
  }

  #list(userId: string): IndexedSession[] {
    const s = this.#settings;
    const now = Date.now();
    const rows = this.#run(() => {
      this.#stmt('prune').run({ user: userId, prefix: s.prefix, now });
      return this.#stmt('list').all({ user: userId, prefix: s.prefix, now }) as { id: string; hint: string | null; meta: string | null; expires_at: number | null }[];
    });
    const out: IndexedSession[] = [];
    for (const row of rows) {
      const listed = s.listed(row, row.expires_at === null ? null : row.expires_at - now, now);
      if (listed !== null) out.push(listed); // else a row this library did not write: not listed
    }
    return out;
  }

  #destroyRefs(userId: string, refs: readonly string[]): number {
    const now = Date.now();
    const tomb = now + this.#settings.tombstoneSeconds() * 1000;
    return this.#transaction(() => {
      let n = 0;
      for (const ref of new Set(refs)) {
        const id = this.#settings.prefix + ref;
        this.#stmt('tomb').run({ id, exp: tomb });
        const row = this.#stmt('take').get({ id, user: userId, now }) as { alias: string | null; alias_ref: string | null; alive: number } | undefined;
        if (row === undefined) continue;
        // Renewed meanwhile: its new ID goes too.
        if (row.alias_ref !== null) n += this.#stmt('takeTarget').get({ id: row.alias_ref, now }) === undefined ? 0 : 1;
        else if (row.alive === 1 && row.alias === null) n++;
      }
      return n;
    });
  }

  #stmt(name: SqlName): NamedStatement {
    let s = this.#stmts.get(name);
    if (s === undefined) {
      s = this.#db.prepare(this.#text[name]) as unknown as NamedStatement;
      this.#stmts.set(name, s);
    }
    return s;
  }

  /** Runs `fn`, mapping errors to typed ones (`unique`: a constraint failure means the new ID is taken). */
  #run<T>(fn: () => T, unique = false): T {
    try {
      return fn();
    } catch (err) {
      if (unique && sqliteCode(err) === SQLITE_CONSTRAINT) throw new DuplicateIdError();
      throw mapSqliteError(err);
    }
  }

  /** `fn` in a savepoint (a transaction of its own, or nested in the app's): all of it or nothing. */
  #transaction<T>(fn: () => T): T {
    const name = `ws_${++this.#savepoint}`;
    return this.#run(() => {
      this.#db.exec(`SAVEPOINT ${name}`);
      try {
        const out = fn();
        this.#db.exec(`RELEASE ${name}`);
        return out;
      } catch (err) {
        try {
          this.#db.exec(`ROLLBACK TO ${name}`);
          this.#db.exec(`RELEASE ${name}`);
        } catch {
          // the database is gone: nothing to roll back
        }
        throw err;
      }
    });
  }
}

/** A merge patch: set keys to their JSON text, deleted keys to null. */
function patchOf(set: ReadonlyMap<string, string>, deleted: ReadonlySet<string>): string {
  if (deleted.size === 0) return encodeFields(set);
  let out = encodeFields(set).slice(0, -1);
  let first = set.size === 0;
  for (const key of deleted) {
    out += (first ? '' : ',') + JSON.stringify(key) + ':null';
    first = false;
  }
  return out + '}';
}
