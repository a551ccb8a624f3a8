import { LRUCache } from 'lru-cache';
import { DuplicateIdError, InvalidConfigError, SessionMovedError, SessionNotFoundError, ValueTooLargeError } from '../../errors.js';
import { Value } from '../../manager/value.js';
import { CLAIM_MARK, decodeMeta, encodeMeta, hintOf, isClaim, lost, type IndexEntry } from '../meta.js';
import { MemoryRecords } from './records.js';
import type { IndexedSession, IndexOptions, MetaStorer, Provider, ProviderDefaults, RecordStore, RenewOptions, RestoreOptions, SessionMeta, Storer, UserIndex } from '../provider.js';
import { ProviderStorer, type StorerBackend } from '../storer.js';
import { valueFromRecord } from '../record.js';

/**
 * Record entries for the metadata and the renewal alias: a lone surrogate is a
 * key no Value can hold (`checkKey` refuses it), so they never clash with data.
 */
const META_KEY = '\uD800m';
const ALIAS_KEY = '\uD800a';
/** The record's own fields, never data (their keys cannot be data keys: a lone surrogate). */
const RESERVED: ReadonlySet<string> = new Set([META_KEY, ALIAS_KEY]);

export interface MemoryProviderOptions {
  /** Most sessions kept; the least recently used go first. Default 10000. */
  max?: number;
  /**
   * Most memory the sessions may take, in bytes (estimated: 2 bytes per
   * character of keys and JSON, plus a small per-key overhead); the least
   * recently used go first. Default 64 MiB.
   */
  maxSize?: number;
  /** Largest single session, in bytes (same estimate); a bigger one is `ValueTooLargeError`. Default 1 MiB. */
  maxEntrySize?: number;
  /** Idle timeout in seconds (0 = none). Default: the Session's `sessionExpire`. */
  ttl?: number;
}

/**
 * A stored session: per-key JSON strings in a Map that is never changed once
 * stored (a save stores a new one), or a raw string record (`poke`).
 */
type MemoryRecord = ReadonlyMap<string, string> | string;

/**
 * The embedded provider: sessions in this process's memory, on lru-cache,
 * bounded in count and expiring after `ttl` seconds idle. Each key is kept as
 * its JSON string in an immutable record, so every restore is a copy (one
 * request cannot change another's session by reference), and a restore or a
 * save parses nothing it does not need. For one process only (use Redis or
 * memcached to share sessions between processes).
 */
export class MemoryProvider implements Provider, StorerBackend {
  readonly #cache: LRUCache<string, MemoryRecord>;
  readonly #ownTtl: boolean;
  readonly #maxEntrySize: number;
  #ttlMs = 0;
  /** userId → (sid → entry). Entries leave when their session leaves the cache (dispose), or when listed dead. */
  readonly #index = new Map<string, Map<string, IndexEntry>>();
  /** The user index (`session.login` and friends). */
  readonly users: UserIndex;
  /** Compare-and-set records (remember-me series, device limits): see records.ts. */
  readonly records: RecordStore = new MemoryRecords();
  /** Saves and touches are done when they return: a changed session does not delay its response. */
  readonly synchronous = true;
  /** Tombstones of sessions `destroyUserSessions` destroyed (for `reason: 'revoked'`), as long as the idle timeout. */
  readonly #revoked = new LRUCache<string, true>({ max: 10_000, ttlAutopurge: false, allowStale: false });

  constructor(options: MemoryProviderOptions = {}) {
    const max = options.max ?? 10_000;
    if (!Number.isSafeInteger(max) || max < 1) throw new InvalidConfigError('MemoryProvider max must be a positive integer');
    const maxSize = options.maxSize ?? DEFAULT_MAX_SIZE;
    if (!Number.isSafeInteger(maxSize) || maxSize < 1) throw new InvalidConfigError('MemoryProvider maxSize must be a positive integer (bytes)');
    const maxEntrySize = options.maxEntrySize ?? Math.min(DEFAULT_MAX_ENTRY_SIZE, maxSize);
    if (!Number.isSafeInteger(maxEntrySize) || maxEntrySize < 1 || maxEntrySize > maxSize) {
      throw new InvalidConfigError('MemoryProvider maxEntrySize must be a positive integer (bytes), at most maxSize');
    }
    this.#maxEntrySize = maxEntrySize;
    if (options.ttl !== undefined && (!Number.isSafeInteger(options.ttl) || options.ttl < 0)) {
      throw new InvalidConfigError('MemoryProvider ttl must be a non-negative integer (seconds)');
    }
    this.#ownTtl = options.ttl !== undefined;
    this.#ttlMs = (options.ttl ?? 0) * 1000;
    // Stale entries are never returned (allowStale false); they are dropped when met or evicted.
    this.#cache = new LRUCache<string, MemoryRecord>({
      max,
      maxSize,
      sizeCalculation: recordSize,
      allowStale: false,
      ttlAutopurge: false,
      // A bound session that leaves the cache (evicted, expired, deleted) leaves its user's index.
      dispose: (record, sid, reason) => {
        if (reason !== 'set' && typeof record !== 'string' && record.has(META_KEY)) this.#unindex(record, sid);
      },
    });
    this.users = {
      ref: (sid) => sid,
      login: async (sid, newSid, value, meta, options) => this.#login(sid, newSid, value, meta, options),
      logout: async (sid, userId) => {
        this.#cache.delete(sid);
        this.#index.get(userId)?.delete(sid);
      },
      list: async (userId) => this.#list(userId),
      revoked: async (sid) => this.#revoked.has(sid),
      destroy: async (userId, refs) => {
        let n = 0;
        for (const sid of refs) {
          this.#revoked.set(sid, true, { ttl: this.#ttlMs > 0 ? this.#ttlMs : REVOKED_FALLBACK_MS });
          if (this.#cache.has(sid)) n++;
          this.#cache.delete(sid);
          this.#index.get(userId)?.delete(sid);
        }
        return n;
      },
    };
  }

  useDefaults(defaults: ProviderDefaults): void {
    if (!this.#ownTtl) this.#ttlMs = defaults.ttl * 1000;
  }

  /** Sessions held (expired ones are purged first). */
  get size(): number {
    this.#cache.purgeStale();
    return this.#cache.size;
  }

  /** Drops every session. */
  clear(): void {
    this.#cache.clear();
  }

  async new(sid: string, initial?: Value): Promise<Storer> {
    if (this.#cache.has(sid)) throw new DuplicateIdError();
    const value = initial ?? new Value();
    this.#put(sid, value.fieldMap());
    value.markSaved();
    return new ProviderStorer(this, sid, value);
  }

  async restore(sid: string, options?: RestoreOptions): Promise<Storer> {
    return this.restoreSync(sid, options);
  }

  /** `restore`, synchronous (the manager's returning requests use it). */
  restoreSync(sid: string, options?: RestoreOptions): Storer {
    const record = this.#cache.get(sid, options?.touch === true ? TOUCH : NO_TOUCH);
    if (record === undefined) throw new SessionNotFoundError();
    if (typeof record === 'string') return new ProviderStorer(this, sid, valueFromRecord(record));
    if (record.has(META_KEY) || record.has(ALIAS_KEY)) {
      const alias = record.get(ALIAS_KEY) ?? null;
      // Moved by a login: gone for everyone but a concurrent login of the same user.
      if (alias !== null && isClaim(alias)) throw new SessionNotFoundError();
      return new ProviderStorer(this, sid, Value.fromFieldMap(record, RESERVED), metaOf(record), alias);
    }
    return new ProviderStorer(this, sid, Value.fromFieldMap(record));
  }

  async refresh(sid: string, newSid: string): Promise<Storer> {
    const record = this.#cache.get(sid);
    if (record === undefined || (typeof record !== 'string' && record.has(ALIAS_KEY))) throw new SessionNotFoundError();
    if (this.#cache.has(newSid)) throw new DuplicateIdError();
    const value = toValue(record);
    this.#put(newSid, record);
    this.#cache.delete(sid);
    return new ProviderStorer(this, newSid, value, typeof record === 'string' ? null : metaOf(record));
  }

  /**
   * Renewal, synchronous (nothing can interleave): the record moves to
   * `newSid` with the new metadata, `sid` becomes an alias for `grace` seconds,
   * and the user's index follows.
   */
  async renew(sid: string, newSid: string, options: RenewOptions): Promise<MetaStorer | { alias: string } | null> {
    const record = this.#cache.get(sid);
    if (record === undefined) return null;
    if (typeof record !== 'string') {
      const alias = record.get(ALIAS_KEY);
      if (alias !== undefined) return isClaim(alias) ? null : { alias };
    }
    if (this.#cache.has(newSid)) throw new DuplicateIdError();
    const fields = typeof record === 'string' ? valueFromRecord(record).fieldMap() : new Map(record);
    fields.set(META_KEY, encodeMeta(options.meta));
    this.#put(newSid, fields);
    // 'set' does not dispose: the old entry's index line is moved by hand.
    this.#cache.set(sid, new Map([[ALIAS_KEY, options.alias]]), { ttl: options.grace * 1000, size: RECORD_OVERHEAD + options.alias.length * 2 });
    const userId = options.meta.userId;
    if (userId !== undefined) {
      const entries = this.#index.get(userId);
      const entry = entries?.get(sid);
      entries?.delete(sid);
      if (entry !== undefined) this.#indexAdd(userId, newSid, { ...entry, sidHint: hintOf(newSid) });
    }
    return new ProviderStorer(this, newSid, toValue(fields), options.meta);
  }

  /** A Storer for `sid` holding `value` (a save redirected from a renewed ID). */
  attach(sid: string, value: Value): Storer {
    return new ProviderStorer(this, sid, value);
  }

  async destroy(sid: string): Promise<void> {
    this.#cache.delete(sid);
  }

  /** @internal */
  save(sid: string, value: Value): void {
    const current = this.#cache.get(sid);
    // A session destroyed (or expired) meanwhile stays gone: a late save must not resurrect it.
    if (current === undefined) throw new SessionNotFoundError();
    if (typeof current !== 'string') {
      // Renewed meanwhile: the manager redirects the save to the new ID.
      const alias = current.get(ALIAS_KEY);
      // A login's claim: a save of the pre-login session must not reach the logged-in one.
      if (alias !== undefined && isClaim(alias)) throw new SessionNotFoundError();
      if (alias !== undefined) throw new SessionMovedError(alias);
    }
    const changes = value.changes();
    // In place when the size stays (a counter, a flag, a token replaced by one as long): the stored Map
    // belongs to the cache alone (every restore copies out of it, every other write stores a Map of its
    // own), and nothing runs between the get above and the set below. A new Map per save would put a
    // fresh object into the cache on every request: with many sessions held, each lives long enough to
    // be promoted, and the old generation fills with them. (lru-cache keeps the old size when set is
    // given the same object, so a size change takes a new Map.)
    if (typeof current === 'string' || changes.cleared || sizeDelta(current, changes.set, changes.deleted) !== 0) {
      this.#put(sid, merge(current, value));
      return;
    }
    const fields = current as Map<string, string>;
    for (const key of changes.deleted) fields.delete(key);
    for (const [key, json] of changes.set) fields.set(key, json);
    // Same object, same size: only the idle timer restarts (and it becomes the most recent).
    this.#cache.get(sid, TOUCH);
  }

  /** @internal */
  touch(sid: string): void {
    // Same contract as the network stores: touching a gone session is an error.
    if (this.#cache.get(sid, { updateAgeOnGet: true }) === undefined) throw new SessionNotFoundError();
  }

  /** @internal Raw access for tests and tools: the stored record, or undefined. */
  peek(sid: string): string | undefined {
    const record = this.#cache.get(sid);
    return typeof record === 'string' || record === undefined ? record : toValue(record).serialize();
  }

  /** @internal Raw write, bypassing the contract (tests: corrupt records). */
  poke(sid: string, record: string): void {
    this.#put(sid, record);
  }

  /**
   * Synchronous, so a move nothing can interleave: of concurrent logins of one
   * ID the first wins, and the old ID keeps a claim (for `options.grace`
   * seconds) that only a concurrent login of the same user joins (see `lost`).
   */
  #login(sid: string | null, newSid: string, value: Value, meta: SessionMeta, options: IndexOptions): MetaStorer {
    let fields: Map<string, string>;
    if (sid !== null) {
      const old = this.#cache.get(sid);
      if (old === undefined) throw new SessionNotFoundError();
      if (typeof old !== 'string') {
        const alias = old.get(ALIAS_KEY);
        if (alias !== undefined) throw lost(alias, metaOf(old), meta);
      }
      if (this.#cache.has(newSid)) throw new DuplicateIdError();
      fields = typeof old === 'string' ? valueFromRecord(old).fieldMap() : new Map(old);
    } else {
      if (this.#cache.has(newSid)) throw new DuplicateIdError();
      fields = value.fieldMap();
    }
    fields.set(META_KEY, encodeMeta(meta));
    this.#put(newSid, fields);
    if (sid !== null) {
      this.#cache.delete(sid); // disposes: leaves its previous user's index
      if (options.alias !== undefined) {
        const claim = CLAIM_MARK + options.alias;
        const claimMeta = encodeMeta({ userId: meta.userId as string });
        this.#cache.set(sid, new Map([[ALIAS_KEY, claim], [META_KEY, claimMeta]]), {
          ttl: Math.max(1, options.grace ?? 30) * 1000,
          size: RECORD_OVERHEAD + (claim.length + claimMeta.length) * 2,
        });
        // Not a session of the user: the claim stays out of the index.
        this.#index.get(meta.userId as string)?.delete(sid);
      }
    } else value.markSaved();
    this.#indexAdd(meta.userId as string, newSid, { sidHint: hintOf(newSid), loginAt: meta.loginAt ?? Date.now(), label: meta.label ?? null });
    // The request's own Value: changes it has not saved yet are written by its next save.
    return new ProviderStorer(this, newSid, value, meta);
  }

  #indexAdd(userId: string, sid: string, entry: IndexEntry): void {
    let entries = this.#index.get(userId);
    if (entries === undefined) this.#index.set(userId, (entries = new Map()));
    entries.set(sid, entry);
  }

  #unindex(record: ReadonlyMap<string, string>, sid: string): void {
    const userId = metaOf(record)?.userId;
    if (userId === undefined) return;
    const entries = this.#index.get(userId);
    if (entries === undefined) return;
    entries.delete(sid);
    if (entries.size === 0) this.#index.delete(userId);
  }

  #list(userId: string): IndexedSession[] {
    const entries = this.#index.get(userId);
    if (entries === undefined) return [];
    const now = Date.now();
    const out: IndexedSession[] = [];
    for (const [sid, e] of entries) {
      // Expired sessions are pruned here (lru-cache drops them only when met).
      if (!this.#cache.has(sid)) {
        this.#cache.delete(sid);
        entries.delete(sid);
        continue;
      }
      const remaining = this.#cache.getRemainingTTL(sid);
      const lastSeenAt = this.#ttlMs > 0 && Number.isFinite(remaining) && remaining > 0 ? now - (this.#ttlMs - remaining) : null;
      out.push({ ref: sid, sidHint: e.sidHint, loginAt: e.loginAt, label: e.label, lastSeenAt });
    }
    if (entries.size === 0) this.#index.delete(userId);
    return out;
  }

  /** @internal Index entries held for `userId` (tests: pruning). */
  indexSize(userId: string): number {
    return this.#index.get(userId)?.size ?? 0;
  }

  #put(sid: string, record: MemoryRecord): void {
    // lru-cache would drop an oversized entry silently: say so instead.
    const size = recordSize(record);
    if (size > this.#maxEntrySize) throw tooLarge(size, this.#maxEntrySize);
    this.#cache.set(sid, record, { ttl: this.#ttlMs, size });
  }
}

/** lru-cache get options, made once (restore runs on every request). */
const TOUCH = { updateAgeOnGet: true } as const;
const NO_TOUCH = { updateAgeOnGet: false } as const;
const DEFAULT_MAX_SIZE = 64 * 1024 * 1024;
/** How long a revocation tombstone lasts when sessions have no idle timeout. */
const REVOKED_FALLBACK_MS = 86_400_000;
const DEFAULT_MAX_ENTRY_SIZE = 1024 * 1024;
/** Per-key cost beside the characters (Map entry, string headers), and per record. */
const KEY_OVERHEAD = 64;
const RECORD_OVERHEAD = 128;

/** Estimated heap bytes of a record: JS strings take up to 2 bytes a character. */
function recordSize(record: MemoryRecord): number {
  if (typeof record === 'string') return RECORD_OVERHEAD + record.length * 2;
  let size = RECORD_OVERHEAD;
  for (const [key, json] of record) size += KEY_OVERHEAD + (key.length + json.length) * 2;
  return size;
}

function toValue(record: MemoryRecord): Value {
  // A string record only comes from poke (tests, tools): decode and check it.
  if (typeof record === 'string') return valueFromRecord(record);
  return Value.fromFieldMap(record, record.has(META_KEY) || record.has(ALIAS_KEY) ? RESERVED : undefined);
}

/**
 * Decoded metadata by record: a user-bound session's returning request would
 * otherwise parse the same JSON every time (~15% of its CPU, profiled). Keyed
 * by the stored Map (a save that keeps it changes it in place; the entry is
 * reused only while its JSON is the one decoded). Frozen: restores share it.
 */
const decodedMeta = new WeakMap<ReadonlyMap<string, string>, { readonly json: string; readonly meta: SessionMeta }>();

function metaOf(record: ReadonlyMap<string, string>): SessionMeta | null {
  const json = record.get(META_KEY);
  if (json === undefined) return null;
  const cached = decodedMeta.get(record);
  if (cached !== undefined && cached.json === json) return cached.meta;
  const meta = Object.freeze(decodeMeta(json));
  decodedMeta.set(record, { json, meta });
  return meta;
}

/**
 * Applies `value`'s changes to the stored record, key by key (as Redis does
 * with a hash): two requests of one session changing different keys at the
 * same time both keep their change. A whole replacement (`cleared`), or a
 * record that does not parse, is rewritten whole.
 */
function merge(record: MemoryRecord, value: Value): ReadonlyMap<string, string> {
  const changes = value.changes();
  if (changes.cleared) {
    // A whole replacement keeps the record's metadata (the user binding is not data).
    const out = value.fieldMap();
    const meta = typeof record === 'string' ? undefined : record.get(META_KEY);
    if (meta !== undefined) out.set(META_KEY, meta);
    return out;
  }
  let fields: Map<string, string>;
  if (typeof record === 'string') {
    try {
      fields = valueFromRecord(record).fieldMap();
    } catch {
      return value.fieldMap();
    }
  } else {
    // forEach, not new Map(record): no [key, value] entry array per key.
    fields = new Map();
    record.forEach(copyEntry, fields);
  }
  for (const key of changes.deleted) fields.delete(key);
  for (const [key, json] of changes.set) fields.set(key, json);
  return fields;
}

function copyEntry(this: Map<string, string>, json: string, key: string): void {
  this.set(key, json);
}

/** How `recordSize(record)` changes once `set` and `deleted` are applied to it. */
function sizeDelta(record: ReadonlyMap<string, string>, set: ReadonlyMap<string, string>, deleted: Iterable<string>): number {
  let size = 0;
  for (const key of deleted) {
    const old = record.get(key);
    if (old !== undefined) size -= KEY_OVERHEAD + (key.length + old.length) * 2;
  }
  for (const [key, json] of set) {
    const old = record.get(key);
    if (old !== undefined) size -= KEY_OVERHEAD + (key.length + old.length) * 2;
    size += KEY_OVERHEAD + (key.length + json.length) * 2;
  }
  return size;
}

function tooLarge(size: number, max: number): ValueTooLargeError {
  return new ValueTooLargeError(`session record is about ${size} bytes; this MemoryProvider's maxEntrySize is ${max}`);
}
