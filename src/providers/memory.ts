import { LRUCache } from 'lru-cache';
import { DuplicateIdError, InvalidConfigError, SessionNotFoundError, ValueTooLargeError } from '../errors.js';
import { Value } from '../manager/value.js';
import type { Provider, ProviderDefaults, RestoreOptions, Storer } from './provider.js';
import { ProviderStorer, type StorerBackend } from './storer.js';

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
    this.#cache = new LRUCache<string, MemoryRecord>({ max, maxSize, sizeCalculation: recordSize, allowStale: false, ttlAutopurge: false });
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
    const record = this.#cache.get(sid, { updateAgeOnGet: options?.touch === true });
    if (record === undefined) throw new SessionNotFoundError();
    return new ProviderStorer(this, sid, toValue(record));
  }

  async refresh(sid: string, newSid: string): Promise<Storer> {
    const record = this.#cache.get(sid);
    if (record === undefined) throw new SessionNotFoundError();
    if (this.#cache.has(newSid)) throw new DuplicateIdError();
    const value = toValue(record);
    this.#put(newSid, record);
    this.#cache.delete(sid);
    return new ProviderStorer(this, newSid, value);
  }

  async destroy(sid: string): Promise<void> {
    this.#cache.delete(sid);
  }

  /** @internal */
  save(sid: string, value: Value): void {
    const current = this.#cache.get(sid);
    // A session destroyed (or expired) meanwhile stays gone: a late save must not resurrect it.
    if (current === undefined) throw new SessionNotFoundError();
    this.#put(sid, merge(current, value));
  }

  /** @internal */
  touch(sid: string): void {
    // Same contract as the network stores: touching a gone session is an error.
    if (this.#cache.get(sid, { updateAgeOnGet: true }) === undefined) throw new SessionNotFoundError();
  }

  /** @internal Raw access for tests and tools: the stored record, or undefined. */
  peek(sid: string): string | undefined {
    const record = this.#cache.get(sid);
    return typeof record === 'string' || record === undefined ? record : Value.fromFieldMap(record).serialize();
  }

  /** @internal Raw write, bypassing the contract (tests: corrupt records). */
  poke(sid: string, record: string): void {
    this.#put(sid, record);
  }

  #put(sid: string, record: MemoryRecord): void {
    // lru-cache would drop an oversized entry silently: say so instead.
    const size = recordSize(record);
    if (size > this.#maxEntrySize) {
      throw new ValueTooLargeError(`session record is about ${size} bytes; this MemoryProvider's maxEntrySize is ${this.#maxEntrySize}`);
    }
    this.#cache.set(sid, record, { ttl: this.#ttlMs, size });
  }
}

const DEFAULT_MAX_SIZE = 64 * 1024 * 1024;
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
  return typeof record === 'string' ? Value.deserialize(record) : Value.fromFieldMap(record);
}

/**
 * Applies `value`'s changes to the stored record, key by key (as Redis does
 * with a hash): two requests of one session changing different keys at the
 * same time both keep their change. A whole replacement (`cleared`), or a
 * record that does not parse, is rewritten whole.
 */
function merge(record: MemoryRecord, value: Value): ReadonlyMap<string, string> {
  const changes = value.changes();
  if (changes.cleared) return value.fieldMap();
  let fields: Map<string, string>;
  try {
    fields = typeof record === 'string' ? Value.deserialize(record).fieldMap() : new Map(record);
  } catch {
    return value.fieldMap();
  }
  for (const key of changes.deleted) fields.delete(key);
  for (const [key, json] of changes.set) fields.set(key, json);
  return fields;
}
