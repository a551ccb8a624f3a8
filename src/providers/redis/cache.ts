/**
 * RedisProvider's opt-in client-side cache (`cache: { maxBytes }`): session
 * records kept in this process, dropped by Redis server-assisted client-side
 * caching (Redis >= 6), so a returning read-only request sends no command.
 *
 * Mode: RESP2 `CLIENT TRACKING ON REDIRECT <id> NOLOOP` (default, per-key
 * tracking) on a dedicated data connection, with a second dedicated
 * connection subscribed to `__redis__:invalidate`. Both are duplicates of the
 * app's client made to speak RESP2, whatever the app's client speaks: a
 * redirect target speaking RESP3 gets its invalidations as RESP3 pushes,
 * which ioredis 6 drops (the cache then never heard of a change), while a
 * RESP2 one gets them as Pub/Sub messages, which every client delivers. Why not BCAST: the session's own saves must
 * keep the local copy rather than drop it, which needs NOLOOP, and with BCAST
 * Redis (7.0) attributes a write made inside a Lua script to the script's
 * client, not the caller, so NOLOOP does not silence the saves (all scripts)
 * and every save dropped its own copy; BCAST also makes every server hear of
 * every session write. In default mode NOLOOP does silence scripts, but a
 * silenced write also removes the writer from the key's tracking table; so
 * every write script this cache sends ends with a read of the key (the save
 * is wrapped, the fill reads last), which tracks it again atomically.
 *
 * Consistency rules (never a stale read after a fault):
 * - Fills (restores that miss) and saves go over the data connection, in
 *   order, so a save's reply comes after every fill sent before it.
 * - A fill is kept only when no invalidation of its key, no flush and no
 *   connection loss came while it was in flight.
 * - A save's reply merges its changes into the entry there is then: every
 *   reply that made that entry (fills, earlier saves) came before it on the
 *   same connection, so the entry is Redis's state from before the save, and
 *   a write by anyone else in between has an invalidation of its own.
 * - Either connection closing, a heartbeat unanswered, or an invalidation
 *   with no keys (FLUSHALL / FLUSHDB) flushes everything, and the cache is
 *   bypassed until tracking is on again and the heartbeat is answered.
 * The staleness bound: a write by another client is seen once its
 * invalidation arrives (the push latency, see docs/providers.md), or within
 * two heartbeats when the invalidation connection goes silent.
 */
import { LRUCache } from 'lru-cache';
import { InvalidConfigError, UnsupportedError } from '../../errors.js';
import { Value } from '../../manager/value.js';
import type { SessionMeta } from '../provider.js';
import { unconfirmed, type CacheConnection, type Durability, type RedisLink, type Script } from './client.js';

export interface RedisCacheOptions {
  /** Bound on the cache in (approximate, in-heap) bytes: keys, field names and JSON, plus per-entry overhead. */
  maxBytes: number;
  /**
   * Milliseconds between heartbeats (a PING on the invalidation connection).
   * A heartbeat still unanswered at the next one flushes the cache and
   * bypasses it until answered. Default 1000.
   */
  heartbeat?: number;
}

/** The cache's counters and state (`RedisProvider.cache.stats()`). */
export interface RedisCacheStats {
  /** Serving from the cache now (tracking on, heartbeat answered). */
  readonly serving: boolean;
  readonly hits: number;
  readonly misses: number;
  /** Keys dropped by invalidation messages (keys not cached count too). */
  readonly invalidations: number;
  /** Whole-cache flushes (connection loss, FLUSHALL, a missed heartbeat). */
  readonly flushes: number;
  readonly entries: number;
  /** Approximate bytes held (at most `maxBytes`). */
  readonly bytes: number;
}

/** What a restore gets back: the record as a Value, its metadata and its alias (alias records are never cached). */
export interface CachedRecord {
  readonly value: Value;
  readonly meta: SessionMeta | null;
  readonly alias: string | null;
}

/** What RedisProvider decodes a record into (its own parser: reserved fields, corrupt records). */
export interface DecodedRecord extends CachedRecord {
  /** The data fields (no reserved ones). */
  readonly fields: Record<string, string>;
}

/** What the provider lends the cache: its error mapping and deadline, its record decoder, its scripts. */
export interface RedisCacheHost {
  run<T>(op: Promise<T>, what: string): Promise<T>;
  decode(reply: unknown): DecodedRecord | undefined;
  readonly aliasField: string;
  /** The provider's save script (KEYS[1] = the session key); the cache sends it wrapped, with a read of the key last. */
  readonly save: Script;
  /** The provider's save script for the common save (changed fields only). */
  readonly saveFast: Script;
  /** The provider's create-if-absent script (ARGV[1] = ttl; answers 1 when created), sent wrapped the same way. */
  readonly create: Script;
  /** The provider's `durable` option: each write over the data connection is followed by WAIT there. */
  readonly durable: Durability | undefined;
}

interface Entry {
  /** Data fields, validated JSON (Value.fromFieldMap parses lazily). */
  readonly fields: Map<string, string>;
  readonly meta: SessionMeta | null;
  /** When the key's TTL was last set (ms, local clock, never later than the real time). */
  setAt: number;
  /** When the key expires in Redis (ms, local clock, never later than the real time); Infinity = no TTL. */
  expiresAt: number;
  readonly size: number;
}

interface Pending {
  voided: boolean;
  n: number;
}

/** When a save was sent (`beforeSave`). */
export interface SaveStart {
  readonly epoch: number;
  readonly sentAt: number;
}

/** A save's changes, as the provider sends them. */
export interface SaveChanges {
  readonly cleared: boolean;
  /** field, json, field, json, ... */
  readonly sets: readonly string[];
  readonly deleted: readonly string[];
}

// Read, and slide the TTL as RESTORE_TOUCH does (ARGV = ttl (0 = no touch),
// touchAfter, alias field), then answer {fields, PTTL}: the TTL tells the
// cache when the key expires and when it was last slid.
const FILL_LUA = `
local h = redis.call('HGETALL', KEYS[1])
if #h == 0 then return {h, -2} end
local ttl = tonumber(ARGV[1])
if ttl > 0 then
  for i = 1, #h, 2 do if h[i] == ARGV[3] then return {h, redis.call('PTTL', KEYS[1])} end end
  local after = tonumber(ARGV[2])
  if after == 0 or ttl - redis.call('TTL', KEYS[1]) >= after then redis.call('EXPIRE', KEYS[1], ttl) end
end
return {h, redis.call('PTTL', KEYS[1])}`;
const S_FILL: Script = { name: 'wasmSessionCacheFill1', lua: FILL_LUA };

/** `lua` run as a function, then a read of KEYS[1]: what NOLOOP untracked, tracked again in the same atomic step. */
function readLast(lua: string): string {
  return `local function body()\n${lua}\nend\nlocal r = body()\nredis.call('EXISTS', KEYS[1])\nreturn r`;
}

const ENTRY_OVERHEAD = 160;
const FIELD_OVERHEAD = 64;

function sizeOf(key: string, fields: Map<string, string>): number {
  let n = ENTRY_OVERHEAD + 2 * key.length;
  for (const [k, v] of fields) n += FIELD_OVERHEAD + 2 * (k.length + v.length);
  return n;
}


/**
 * The cache of one RedisProvider. Owns two connections made with the app
 * client's `duplicate()`; `close()` ends them (also done when the app's client ends).
 */
export class RedisSessionCache {
  readonly #host: RedisCacheHost;
  readonly #data: CacheConnection;
  readonly #inv: CacheConnection;
  readonly #save: Script;
  readonly #saveFast: Script;
  readonly #create: Script;
  readonly #lru: LRUCache<string, Entry>;
  readonly #pending = new Map<string, Pending>();
  readonly #timer: NodeJS.Timeout;
  /** Bumped by every flush: fills and saves begun before it are not kept. */
  #epoch = 0;
  #tracking = false;
  #pingOut = false;
  /** A heartbeat went unanswered for a whole beat: not serving until it is answered. */
  #silent = false;
  #closed = false;
  #setup: Promise<void> | null = null;
  /** The invalidation connection is being reset (its next 'ready' sets up again). */
  #resetting = false;
  #hits = 0;
  #misses = 0;
  #invalidations = 0;
  #flushes = 0;
  readonly #listeners = new Set<() => void>();
  /** The client's ioredis `keyPrefix`: on every key Redis sees (invalidations name them so), on none of ours. */
  readonly #keyPrefix: string;

  /** @internal The provider makes it. */
  constructor(link: RedisLink, options: RedisCacheOptions, host: RedisCacheHost) {
    if (link.cluster) {
      throw new UnsupportedError(
        'RedisProvider cache: not available on a Redis Cluster. Client-side caching tracks keys per node and sends invalidations only to a connection on the same node, while a Cluster client routes each key to a node of its choosing and re-routes on failover and resharding (a moved slot would keep serving copies nobody invalidates). Use the cache with a standalone Redis (or one per shard), or leave it off.',
      );
    }
    const maxBytes = options.maxBytes;
    if (typeof maxBytes !== 'number' || !Number.isInteger(maxBytes) || maxBytes < 1024) {
      throw new InvalidConfigError(`cache.maxBytes must be a whole number of bytes >= 1024, got ${String(maxBytes)}`);
    }
    const beat = options.heartbeat ?? 1000;
    if (typeof beat !== 'number' || !Number.isInteger(beat) || beat < 10) {
      throw new InvalidConfigError(`cache.heartbeat must be a whole number of milliseconds >= 10, got ${String(beat)}`);
    }
    this.#host = host;
    this.#lru = new LRUCache<string, Entry>({ maxSize: maxBytes, sizeCalculation: (e) => e.size });
    this.#keyPrefix = link.keyPrefix;
    this.#save = { name: 'wasmSessionCacheSave1', lua: readLast(host.save.lua) };
    this.#saveFast = { name: 'wasmSessionCacheSaveFast1', lua: readLast(host.saveFast.lua) };
    this.#create = { name: 'wasmSessionCacheNew1', lua: readLast(host.create.lua) };
    this.#data = link.duplicate('wasm-session-cache');
    this.#inv = link.duplicate('wasm-session-invalidate');
    this.#data.prepare([S_FILL, this.#save, this.#saveFast, this.#create]);
    const lost = (): void => this.#lost();
    for (const c of [this.#data, this.#inv]) {
      c.on('lost', lost);
      c.on('ready', () => this.#start());
    }
    link.onEnd(() => this.close());
    this.#timer = setInterval(() => this.#heartbeat(), beat);
    this.#timer.unref();
  }

  /** True while hits may be served: tracking on, heartbeat answered. */
  get serving(): boolean {
    return this.#tracking && !this.#silent;
  }

  /** The provider's save script over the data connection (NOLOOP: it does not invalidate the copy it updates). */
  save(key: string, args: (string | number)[]): Promise<unknown> {
    return this.#write(this.#save, key, args);
  }

  /** A write script over the data connection; with `durable`, WAIT after it there. */
  async #write(s: Script, key: string, args: readonly (string | number)[]): Promise<unknown> {
    const d = this.#host.durable;
    if (d === undefined) return this.#data.script(s, key, args);
    const [reply, acks] = await this.#data.confirmed(s, key, args, d.replicas, d.waitMs);
    if (acks < d.replicas) throw unconfirmed(acks, d);
    return reply;
  }

  /** A Lua-free save (MULTI … EXEC, ending with a read of the key) over the data connection, the same way. */
  transaction(commands: readonly (readonly (string | number)[])[]): Promise<unknown[] | null> {
    return this.#data.transaction(commands);
  }

  /** The provider's common-save script (changed fields only), the same way. */
  saveFast(key: string, args: (string | number)[]): Promise<unknown> {
    return this.#write(this.#saveFast, key, args);
  }

  /**
   * The provider's create-if-absent script over the data connection; a
   * created record (`value`, no metadata) is cached at once, unless its key
   * was invalidated or the cache flushed meanwhile. `args[0]` is the TTL.
   */
  async create(key: string, args: (string | number)[], value: Value): Promise<unknown> {
    const epoch = this.#epoch;
    const p = this.#pend(key);
    const sentAt = Date.now();
    const fields = value.fieldMap();
    let created: unknown;
    try {
      created = await this.#write(this.#create, key, args);
    } finally {
      this.#unpend(key, p);
    }
    if (Number(created) === 1 && !p.voided && epoch === this.#epoch && this.serving) {
      const ttl = Number(args[0]);
      this.#lru.set(key, { fields, meta: null, setAt: sentAt, expiresAt: ttl > 0 ? sentAt + ttl * 1000 : Infinity, size: sizeOf(key, fields) });
    }
    return created;
  }

  #pend(key: string): Pending {
    let p = this.#pending.get(key);
    if (p === undefined) {
      p = { voided: false, n: 0 };
      this.#pending.set(key, p);
    }
    p.n++;
    return p;
  }

  #unpend(key: string, p: Pending): void {
    if (--p.n === 0 && this.#pending.get(key) === p) this.#pending.delete(key);
  }

  stats(): RedisCacheStats {
    return {
      serving: this.serving,
      hits: this.#hits,
      misses: this.#misses,
      invalidations: this.#invalidations,
      flushes: this.#flushes,
      entries: this.#lru.size,
      bytes: this.#lru.calculatedSize,
    };
  }

  /**
   * Resolves once every invalidation for a write acknowledged before this
   * call has been applied (a PING after it on the invalidation connection),
   * and the cache is serving again; rejects after `timeoutMs`.
   */
  async sync(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.#closed) throw new UnsupportedError('the cache is closed');
      if (this.serving) {
        try {
          await this.#host.run(this.#inv.ping(), 'restore');
          if (this.serving) return;
        } catch {
          // lost meanwhile: wait for the next setup
        }
      }
      if (Date.now() >= deadline) throw new UnsupportedError(`the cache is not serving (tracking off) after ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 20);
        t.unref();
      });
    }
  }

  /** Calls `fn` after each invalidation message and flush (for tests and metrics); returns the unsubscribe. */
  onInvalidate(fn: () => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Ends the cache's two connections; the provider goes on without the cache. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#flush();
    this.#data.close();
    this.#inv.close();
  }

  /**
   * A hit that needs no command (`touch` within touchAfter, or no touch), or `null`.
   * `ttl` is the provider's TTL when touching (0 = no touch), `touchAfter` in seconds.
   */
  peek(key: string, ttl: number, touchAfter: number): CachedRecord | null {
    if (!this.serving) return null;
    const e = this.#lru.get(key);
    if (e === undefined) return null;
    const now = Date.now();
    if (now >= e.expiresAt) {
      this.#lru.delete(key);
      return null;
    }
    if (ttl > 0 && now - e.setAt >= touchAfter * 1000) return null;
    this.#hits++;
    return { value: Value.fromFieldMap(e.fields), meta: e.meta, alias: null };
  }

  /**
   * A restore through the cache: a hit (sliding the TTL with one EXPIRE when
   * touchAfter has passed), else a fill. `null` = no such session.
   */
  async restore(key: string, ttl: number, touchAfter: number): Promise<CachedRecord | null> {
    const hit = this.peek(key, ttl, touchAfter);
    if (hit !== null) return hit;
    // A miss, or the TTL is due a slide: one script reads, slides and tracks the key again.
    return this.#fill(key, ttl, touchAfter);
  }

  async #fill(key: string, ttl: number, touchAfter: number): Promise<CachedRecord | null> {
    this.#misses++;
    const epoch = this.#epoch;
    const keep = this.serving;
    const p = this.#pend(key);
    const sentAt = Date.now();
    let reply: unknown;
    try {
      reply = await this.#host.run(
        this.#data.script(S_FILL, key, [ttl, touchAfter, this.#host.aliasField]),
        'restore',
      );
    } finally {
      this.#unpend(key, p);
    }
    const [fields, pttl] = reply as [unknown, number];
    const decoded = this.#host.decode(fields);
    if (decoded === undefined) return null;
    if (keep && !p.voided && epoch === this.#epoch && this.serving && decoded.alias === null && Number(pttl) !== -2) {
      const map = new Map(Object.entries(decoded.fields));
      const left = Number(pttl);
      const expiresAt = left < 0 ? Infinity : sentAt + left;
      this.#lru.set(key, { fields: map, meta: decoded.meta, setAt: ttl > 0 ? expiresAt - ttl * 1000 : sentAt, expiresAt, size: sizeOf(key, map) });
    }
    return decoded;
  }

  /** Before a save over the data connection: what to hand to `saved`. */
  beforeSave(): SaveStart {
    return { epoch: this.#epoch, sentAt: Date.now() };
  }

  /** A save succeeded: the entry there is now takes its changes (see the rules above); none after a flush. */
  saved(key: string, before: SaveStart, changes: SaveChanges, ttl: number): void {
    const now = this.#lru.peek(key);
    if (now === undefined) return;
    if (before.epoch !== this.#epoch || !this.serving) {
      this.#lru.delete(key);
      return;
    }
    const fields = changes.cleared ? new Map<string, string>() : new Map(now.fields);
    for (let i = 0; i + 1 < changes.sets.length; i += 2) fields.set(changes.sets[i] as string, changes.sets[i + 1] as string);
    if (!changes.cleared) for (const k of changes.deleted) fields.delete(k);
    const expiresAt = ttl > 0 ? before.sentAt + ttl * 1000 : Infinity;
    this.#lru.set(key, { fields, meta: now.meta, setAt: before.sentAt, expiresAt, size: sizeOf(key, fields) });
  }

  /** This process changed or removed `key` by other means: forget it now (the invalidation may come later). */
  drop(key: string): void {
    this.#lru.delete(key);
    const p = this.#pending.get(key);
    if (p !== undefined) p.voided = true;
  }

  /** An invalidation: its keys, or null for all (FLUSHALL / FLUSHDB, or a dropped tracking table). */
  #message(keys: readonly string[] | null): void {
    if (keys === null) {
      this.#flush();
    } else {
      const kp = this.#keyPrefix;
      for (const key of keys) {
        this.#invalidations++;
        if (kp === '') this.drop(key);
        else if (key.startsWith(kp)) this.drop(key.slice(kp.length));
      }
    }
    for (const fn of this.#listeners) fn();
  }

  #flush(): void {
    this.#epoch++;
    this.#flushes++;
    this.#lru.clear();
    for (const p of this.#pending.values()) p.voided = true;
  }

  #lost(): void {
    if (this.#tracking) {
      this.#tracking = false;
      this.#flush();
      for (const fn of this.#listeners) fn();
    }
  }

  #heartbeat(): void {
    if (this.#closed || !this.#tracking) return;
    if (this.#pingOut) {
      // A beat without an answer: the pushes may be stuck too.
      if (!this.#silent) {
        this.#silent = true;
        this.#flush();
        for (const fn of this.#listeners) fn();
      }
      return;
    }
    this.#pingOut = true;
    this.#inv.ping().then(
      () => {
        // Answered: every invalidation queued before it has been applied (and the cache was flushed if it was late).
        this.#pingOut = false;
        this.#silent = false;
      },
      () => {
        // Timed out (commandTimeout) or failed: silent until a later one is answered; a closed link re-enables on 'ready'.
        this.#pingOut = false;
        if (!this.#silent) {
          this.#silent = true;
          this.#flush();
          for (const fn of this.#listeners) fn();
        }
      },
    );
  }

  /** (Re)enables tracking once both connections are ready. */
  #start(): void {
    if (this.#closed || this.#setup !== null) return;
    if (!this.#data.ready || !this.#inv.ready) return;
    this.#resetting = false;
    // Cleared in a later turn (`finally`), never before the assignment.
    this.#setup = this.#enable().finally(() => {
      this.#setup = null;
      if (!this.#tracking && !this.#closed && !this.#resetting && this.#data.ready && this.#inv.ready) {
        setTimeout(() => this.#start(), 50).unref();
      }
    });
  }

  async #enable(): Promise<void> {
    try {
      const id = await this.#inv.subscribeInvalidations((keys) => this.#message(keys));
      if (id === null) {
        this.#resetting = true;
        return;
      }
      // OFF first: ON again with other options is refused.
      await this.#data.send(['CLIENT', 'TRACKING', 'OFF']);
      await this.#data.send(['CLIENT', 'TRACKING', 'ON', 'REDIRECT', id, 'NOLOOP']);
      if (this.#closed || !this.#data.ready || !this.#inv.ready) return;
      this.#flush();
      this.#pingOut = false;
      this.#silent = false;
      this.#tracking = true;
    } catch {
      // A connection dropped meanwhile: its 'ready' starts over.
    }
  }
}
