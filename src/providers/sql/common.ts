/**
 * What the SQL providers (PostgreSQL, SQLite) decide the same way, whatever
 * the dialect: their options and settings, the sweep timer, and what a row
 * read back means (a session, a claim, a renewal alias, a listed session).
 * The statements and the sync/async shape stay in each provider.
 */
import { DuplicateIdError, InvalidConfigError, type SessionError, SessionMovedError, SessionNotFoundError } from '../../errors.js';
import type { Value } from '../../manager/value.js';
import { checkTimeout, checkTtl } from '../deadline.js';
import { DEFAULT_PREFIX, storeKey } from '../keys.js';
import { CLAIM_MARK, decodeMeta, encodeMeta, isClaim, lost } from '../meta.js';
import type { IndexOptions, IndexedSession, MetaStorer, ProviderDefaults, SessionMeta, Storer } from '../provider.js';
import { ProviderStorer, type StorerBackend } from '../storer.js';
import { DEFAULT_TABLE, checkTableName, decodeData, jittered } from './record.js';

/** TTL used when neither the `ttl` option nor a Session's defaults gave one (seconds). */
const FALLBACK_TTL = 1_800;

/** The options both SQL providers take (each provider's options type adds what its dialect means by `timeout`). */
export interface SqlOptions {
  /** Table name (a plain identifier; the tombstone table is `<table>_revoked`, the records table `<table>_records`). Default `wasm_sessions`. */
  table?: string;
  /** Prefix of the stored key (several apps may share one table). Default `sess:`. */
  prefix?: string;
  /** Idle timeout in seconds; 0 = no expiry. Default: the Session's `sessionExpire`. */
  ttl?: number;
  /** Bound on each operation in milliseconds (see the provider's options). Default 2000. */
  timeout?: number;
  /**
   * Seconds: a restore with touch (`rolling`), or a save, moves `expires_at`
   * only when it was set at least this long ago, so most reads write nothing.
   * An idle session may then expire up to this much earlier than `ttl` after
   * its last request. Must be less than the TTL. Default 0: every touch and save moves it.
   */
  touchAfter?: number;
  /** Seconds between sweeps of expired rows (± 25 % jitter); 0 = never (sweep with `sweep()` yourself). Default 300. */
  sweepInterval?: number;
  /** Most rows one sweep deletes (of each table). Default 1000. */
  sweepLimit?: number;
}

/** What one sweep deleted. */
export interface SweepCounts {
  sessions: number;
  tombstones: number;
  records: number;
}

function wholeSeconds(n: number, name: string): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0x7fffffff) {
    throw new InvalidConfigError(`${name} must be a whole number >= 0, got ${String(n)}`);
  }
  return n;
}

/** A SQL provider's checked options, and the TTL / lifetime a Session's defaults may set later. */
export class SqlSettings {
  readonly table: string;
  readonly prefix: string;
  /** The per-operation deadline (ms). */
  readonly timeout: number;
  readonly touchAfter: number;
  readonly sweepInterval: number;
  readonly sweepLimit: number;
  /** Idle TTL in seconds (0 = none): the option, else the Session's `sessionExpire`. */
  ttl: number;
  /** The Session's absolute lifetime in seconds (0 = none): how long a tombstone may be needed without a TTL. */
  lifetime = 0;
  readonly #ttlFixed: boolean;

  constructor(options: SqlOptions) {
    this.table = checkTableName(options.table ?? DEFAULT_TABLE);
    this.prefix = options.prefix ?? DEFAULT_PREFIX;
    if (typeof this.prefix !== 'string') throw new InvalidConfigError('prefix must be a string');
    this.timeout = checkTimeout(options.timeout);
    this.#ttlFixed = options.ttl !== undefined;
    this.ttl = options.ttl === undefined ? FALLBACK_TTL : checkTtl(options.ttl);
    this.touchAfter = wholeSeconds(options.touchAfter ?? 0, 'touchAfter');
    this.#checkTouchAfter();
    this.sweepInterval = wholeSeconds(options.sweepInterval ?? 300, 'sweepInterval');
    this.sweepLimit = wholeSeconds(options.sweepLimit ?? 1000, 'sweepLimit');
    if (this.sweepLimit < 1) throw new InvalidConfigError('sweepLimit must be at least 1');
  }

  #checkTouchAfter(): void {
    if (this.touchAfter > 0 && this.ttl > 0 && this.touchAfter >= this.ttl) {
      throw new InvalidConfigError(`touchAfter (${this.touchAfter} s) must be less than the TTL (${this.ttl} s)`);
    }
  }

  useDefaults(defaults: ProviderDefaults): void {
    if (!this.#ttlFixed) {
      this.ttl = checkTtl(defaults.ttl);
      this.#checkTouchAfter();
    }
    if (defaults.lifetime !== undefined) this.lifetime = defaults.lifetime;
  }

  /** The row id holding `sid`: prefix + hex SHA-256. */
  keyFor(sid: string): string {
    return storeKey(this.prefix, sid);
  }

  /** The user index's ref of `sid`: its row id without the prefix. */
  ref(sid: string): string {
    return this.keyFor(sid).slice(this.prefix.length);
  }

  /** Seconds a tombstone (for reason 'revoked') lasts: as long as an idle session could have lived. */
  tombstoneSeconds(): number {
    return this.ttl > 0 ? this.ttl : this.lifetime > 0 ? this.lifetime : 86_400;
  }

  /**
   * A user's listed session from its row, `remaining` ms before it expires
   * (null: no expiry); `null` for a row this library did not write.
   */
  listed(row: { id: string; hint: string | null; meta: string | null }, remaining: number | null, now: number): IndexedSession | null {
    let meta: SessionMeta;
    try {
      meta = decodeMeta(row.meta ?? '');
    } catch {
      return null;
    }
    const lastSeenAt = this.ttl > 0 && remaining !== null ? now - Math.max(0, this.ttl * 1000 - remaining) : null;
    return { ref: row.id.slice(this.prefix.length), sidHint: row.hint ?? '…', loginAt: meta.loginAt ?? 0, label: meta.label ?? null, lastSeenAt };
  }
}

/**
 * The sweep of expired rows every `sweepInterval` seconds (± 25 %), sooner
 * after a full batch (more are waiting; each statement stays bounded). A
 * failed sweep (store down, busy, closed) is tried again at the next interval:
 * the requests report the outage.
 */
export class SweepTimer {
  #timer: ReturnType<typeof setTimeout> | null = null;
  #closed = false;

  constructor(
    readonly settings: SqlSettings,
    readonly sweep: () => SweepCounts | Promise<SweepCounts>,
  ) {
    if (settings.sweepInterval > 0) this.#schedule(jittered(settings.sweepInterval));
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #schedule(ms: number): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      const { sweepInterval, sweepLimit } = this.settings;
      const done = (n: SweepCounts): void =>
        this.#schedule(n.sessions >= sweepLimit || n.tombstones >= sweepLimit || n.records >= sweepLimit ? 1000 : jittered(sweepInterval));
      const failed = (): void => this.#schedule(jittered(sweepInterval));
      let out: SweepCounts | Promise<SweepCounts>;
      try {
        out = this.sweep();
      } catch {
        failed();
        return;
      }
      if (out instanceof Promise) out.then(done, failed);
      else done(out);
    }, ms);
    this.#timer.unref();
  }
}

/**
 * What both SQL providers present alike over their settings: the table,
 * prefix and TTL, row ids, the Session's defaults, the sweep timer, and a
 * Storer for a redirected save. The statements are each provider's.
 */
export abstract class SqlProviderBase implements StorerBackend {
  readonly #settings: SqlSettings;
  #sweeper: SweepTimer | null = null;

  protected constructor(settings: SqlSettings) {
    this.#settings = settings;
  }

  /** Deletes up to `sweepLimit` expired sessions, as many expired tombstones and as many expired records. */
  abstract sweep(): SweepCounts | Promise<SweepCounts>;
  abstract save(sid: string, value: Value, replace: boolean): Promise<void> | void;
  abstract touch(sid: string): Promise<void> | void;

  /** Starts the sweep timer (`sweepInterval`); last in a constructor, once nothing can throw. */
  protected startSweeps(): void {
    this.#sweeper = new SweepTimer(this.#settings, () => this.sweep());
  }

  /** The table this provider uses. */
  get table(): string {
    return this.#settings.table;
  }

  get prefix(): string {
    return this.#settings.prefix;
  }

  /** The TTL in seconds this provider applies (0 = none). */
  get ttl(): number {
    return this.#settings.ttl;
  }

  /** The row id holding `sid` (for inspection and tests; never log it next to the ID). */
  keyFor(sid: string): string {
    return this.#settings.keyFor(sid);
  }

  useDefaults(defaults: ProviderDefaults): void {
    this.#settings.useDefaults(defaults);
  }

  /** Stops the sweep timer. The Pool or database is the app's: it is not closed. */
  close(): void {
    this.#sweeper?.close();
  }

  /** A Storer for `sid` holding `value` (a save redirected from a renewed ID). */
  attach(sid: string, value: Value): Storer {
    return new ProviderStorer(this, sid, value);
  }
}

/** A session row as read back: its data, login metadata and alias (renewal or claim). */
export interface SessionRow {
  data: string;
  meta?: string | null;
  alias?: string | null;
}

/** The Storer of a read row; a login's claim is gone for everything but a concurrent login (see `lostLogin`). */
export function rowStorer(backend: StorerBackend, sid: string, row: SessionRow): MetaStorer {
  if (typeof row.alias === 'string' && isClaim(row.alias)) throw new SessionNotFoundError();
  const value = decodeData(row.data);
  const meta = row.meta === null || row.meta === undefined ? null : decodeMeta(row.meta);
  return new ProviderStorer(backend, sid, value, meta, row.alias ?? null);
}

/** The Storer of a session just inserted (`inserted`: the create-if-absent wrote a row; else the ID is taken). */
export function insertedStorer(backend: StorerBackend, sid: string, value: Value, inserted: boolean, meta?: SessionMeta): MetaStorer {
  if (!inserted) throw new DuplicateIdError();
  value.markSaved();
  return new ProviderStorer(backend, sid, value, meta);
}

/**
 * Why a save found no row to write, from the row's alias (if it is live):
 * renewed, the save is redirected to the new ID; claimed by a login, a save of
 * the pre-login session never reaches the logged-in one; else gone.
 */
export function unsaved(alias: string | null | undefined): SessionError {
  if (typeof alias === 'string' && !isClaim(alias)) return new SessionMovedError(alias);
  return new SessionNotFoundError('session expired or was destroyed before it was saved');
}

/** A renewal that found `sid` frozen already (`alias`): renewed meanwhile, the new ID; claimed by a login, gone. */
export function renewedAlias(alias: string): { alias: string } | null {
  return isClaim(alias) ? null : { alias };
}

/** What a won login leaves on the old ID for the grace (seconds): the new ID sealed behind CLAIM_MARK, the winner's user. */
export function loginClaim(options: IndexOptions, userId: string): { alias: string; grace: number; meta: string } | null {
  if (options.alias === undefined) return null;
  return { alias: CLAIM_MARK + options.alias, grace: Math.max(1, options.grace ?? 30), meta: encodeMeta({ userId }) };
}

/** A login that found its session moved: a claim of the same user is joined, anything else is gone (see `lost`). */
export function lostLogin(old: { alias?: string | null; meta?: string | null } | undefined, meta: SessionMeta): SessionError {
  if (typeof old?.alias !== 'string') return new SessionNotFoundError();
  return lost(old.alias, claimMeta(old.meta ?? null), meta);
}

/** A claim's metadata (the winner's user), or `null` when it does not parse. */
function claimMeta(json: string | null): SessionMeta | null {
  if (json === null) return null;
  try {
    return decodeMeta(json);
  } catch {
    return null;
  }
}
