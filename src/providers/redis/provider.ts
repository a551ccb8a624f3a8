/** @module providers/redis */
/**
 * Redis provider, for a single server or a Redis Cluster, on Redis or Valkey,
 * with the app's own client: ioredis 5/6, iovalkey or node-redis 5/6 (see
 * client.ts; detected, no adapter call).
 *
 * Layout: one hash per session at `prefix + sha256hex(sid)`, one field per
 * Value key holding that key's JSON, plus the marker field `__ws` so an empty
 * session still exists (Redis drops empty hashes). The marker's value is when
 * the key's TTL runs out as last set (Unix seconds; 0 = no TTL; '1' from an
 * older version or a login = unknown), so a reader knows without asking Redis
 * whether the TTL is due to slide (`touchAfter`). Every write is one
 * single-key Lua script, so it is atomic and Cluster-safe; a returning read
 * that needs no slide is one plain HGETALL.
 *
 * No client package is imported: the app passes its own client.
 */
import {
  CorruptRecordError,
  DuplicateIdError,
  InvalidConfigError,
  InvalidKeyError,
  SessionError,
  SessionMovedError,
  SessionNotFoundError,
  StoreUnavailableError,
} from '../../errors.js';
import { Value } from '../../manager/value.js';
import { checkTimeout, checkTtl, withDeadline } from '../deadline.js';
import { DEFAULT_PREFIX, storeKey } from '../keys.js';
import { RedisSessionCache, type DecodedRecord, type RedisCacheOptions } from './cache.js';
import { CLAIM_MARK, decodeEntry, decodeMeta, encodeEntry, encodeMeta, hintOf, isClaim, lost } from '../meta.js';
import type { IndexedSession, IndexOptions, MetaStorer, Provider, ProviderDefaults, RenewOptions, RestoreOptions, SessionMeta, Storer, UserIndex } from '../provider.js';
import { ProviderStorer, type StorerBackend } from '../storer.js';
import { RedisRecords } from './records.js';
import { DurableLink, fieldsOf, linkTo, type Durability, type RedisClient, type RedisLink, type Script } from './client.js';
import { valueFromFields } from '../record.js';

export type { CachedRecord, RedisCacheOptions, RedisCacheStats, RedisSessionCache, SaveChanges, SaveStart } from './cache.js';

/** The hash field that keeps an empty session in existence. Not a usable Value key. */
export const MARKER_FIELD = '__ws';
/** Fields of the user/renewal capabilities (reserved too): the metadata JSON, and an alias's sealed target and its key hash. */
export const META_FIELD = '__wsm';
export const ALIAS_FIELD = '__wsa';
export const ALIAS_KEY_FIELD = '__wsn';
const RESERVED = new Set([MARKER_FIELD, META_FIELD, ALIAS_FIELD, ALIAS_KEY_FIELD]);

/** TTL used when neither the `ttl` option nor a Session's defaults gave one (seconds). */
export const FALLBACK_TTL = 1_800;

/** A login that brings a user's index to a multiple of this many entries prunes it. */
const PRUNE_EVERY = 64;

export interface RedisProviderOptions {
  /** Store-key prefix. Default `sess:`. */
  prefix?: string;
  /** Idle timeout in seconds (the key's TTL); 0 = no expiry. Default: the Session's `sessionExpire`. */
  ttl?: number;
  /** Bound on each operation in milliseconds; past it the call rejects with `ERR_STORE_UNAVAILABLE`. Default 2000. */
  timeout?: number;
  /**
   * Seconds: a restore with touch (`rolling`) slides the TTL only when the
   * session's last write or touch is at least this old (as connect-mongo's
   * option of that name), so a read-only request is one plain read and no
   * write. The trade-off: an idle session may expire up to `touchAfter`
   * seconds earlier than `ttl` after its last request. Saves always set the
   * TTL. Must be less than the TTL; 0 = every touch writes. Default: a tenth
   * of the TTL, rounded down (180 s under the default 1800 s).
   */
  touchAfter?: number;
  /**
   * Opt-in client-side cache (Redis >= 6, standalone only): records read by
   * restores are kept in this process, at most `maxBytes`, and dropped when
   * Redis says another client changed them (server-assisted client-side
   * caching), so a returning read-only request within `touchAfter` sends no
   * command. Opens two more connections (`client.duplicate()`). See
   * docs/providers.md "Client-side cache".
   */
  cache?: RedisCacheOptions;
  /**
   * How saves are written. `'auto'` (default): on Valkey >= 9.1 (asked once,
   * `INFO server`) the common save is plain commands in one MULTI, with no
   * Lua (`HSETEX key XX FIELDS …`, which writes only into an existing key);
   * elsewhere, and for a whole replacement (`clear()`), one Lua script.
   * `'lua'`: always the script. See docs/providers.md "Valkey".
   */
  saveWith?: 'auto' | 'lua';
  /**
   * Durable writes, for a replicated Redis (Sentinel, Cluster with replicas):
   * every write that must not be undone (a new session, a save, destroy,
   * login, logout, revoke, a renewal's move, remember-me records) is followed
   * by `WAIT replicas waitMs` on the connection that wrote it, in the same
   * round trip; fewer acknowledgements reject with `ERR_STORE_UNAVAILABLE`
   * (answer 503). A TTL slide is not waited for. `waitMs` defaults to the
   * `timeout` less 250 ms (at least 10). Saves take the script on Valkey too.
   * See docs/providers.md "Running on replicated Redis".
   */
  durable?: { replicas: number; waitMs?: number };
}

export type { IoRedisLike, NodeRedisLike, RedisClient } from './client.js';

// HSET/HDEL of ARGV[a..b] as few variadic calls: Lua's unpack has a stack limit,
// so at most 1000 arguments (500 field/value pairs) per call.
const RANGE_LUA = `
local function range(cmd, a, b)
  for i = a, b, 1000 do redis.call(cmd, KEYS[1], unpack(ARGV, i, math.min(i + 999, b))) end
end`;

// KEYS[1] = session key; ARGV = ttl, then field/json pairs (the marker and its stamp first). Create-if-absent.
const NEW_LUA = `${RANGE_LUA}
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
range('HSET', 2, #ARGV)
local ttl = tonumber(ARGV[1])
if ttl > 0 then redis.call('EXPIRE', KEYS[1], ttl) end
return 1`;

// ARGV = ttl, stamp, limit, cleared ('1'/'0'), n, n field/json pairs, then
// fields to delete. Writes only into an existing key: a session destroyed
// (logout) or expired meanwhile must not come back half-empty. A renewed ID
// (an alias) answers with its alias so the manager redirects the save. A whole
// replacement keeps the metadata (the user binding is not data). One HMGET
// stands for EXISTS, the alias check and the marker's stamp: the TTL slides
// (EXPIRE, and the marker takes the new stamp in the same HSET) only when the
// stamp is below limit (touchAfter; every save without it). Every record
// carries the marker (a record without one, never written by this library, is
// checked with EXISTS and given one).
const SAVE_LUA = `
local cleared = ARGV[4] == '1'
local got
if cleared then got = redis.call('HMGET', KEYS[1], '${MARKER_FIELD}', '${ALIAS_FIELD}', '${META_FIELD}')
else got = redis.call('HMGET', KEYS[1], '${MARKER_FIELD}', '${ALIAS_FIELD}') end
if got[2] then return got[2] end
if not got[1] and redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local ttl = tonumber(ARGV[1])
local slide = not got[1] or (ttl > 0 and (tonumber(got[1]) or 0) < tonumber(ARGV[3])) or (ttl == 0 and got[1] ~= '0')
if cleared then
  redis.call('DEL', KEYS[1])
  slide = true
  if got[3] then redis.call('HSET', KEYS[1], '${META_FIELD}', got[3]) end
end
local last = 5 + 2 * tonumber(ARGV[5])
if slide then
  ARGV[4] = '${MARKER_FIELD}'
  ARGV[5] = ARGV[2]
  for i = 4, last, 1000 do redis.call('HSET', KEYS[1], unpack(ARGV, i, math.min(i + 999, last))) end
  if ttl > 0 then redis.call('EXPIRE', KEYS[1], ttl) else redis.call('PERSIST', KEYS[1]) end
else
  for i = 6, last, 1000 do redis.call('HSET', KEYS[1], unpack(ARGV, i, math.min(i + 999, last))) end
end
for i = last + 1, #ARGV, 1000 do redis.call('HDEL', KEYS[1], unpack(ARGV, i, math.min(i + 999, #ARGV))) end
return 1`;

// The common save (changed fields only: nothing deleted, no replacement, a
// few hundred fields at most) with the least Lua: ARGV = ttl ('0' = none),
// limit, the marker, its new stamp, then field/json pairs. The stamp is
// compared as a string to limit (both 10 digits, or limit '~' = always slide):
// no tonumber, no loop. Measured with redis-benchmark on Redis 7.0: ~3.3 µs
// per call against ~4.2 for SAVE_LUA and ~3.1 for a bare HMGET + HSET script.
const SAVE_FAST_LUA = `
local got = redis.call('HMGET', KEYS[1], '${MARKER_FIELD}', '${ALIAS_FIELD}')
if got[2] then return got[2] end
if not got[1] and redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if got[1] and #got[1] == #ARGV[2] and got[1] >= ARGV[2] then
  if #ARGV > 4 then redis.call('HSET', KEYS[1], unpack(ARGV, 5)) end
  return 1
end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
if ARGV[1] == '0' then redis.call('PERSIST', KEYS[1]) else redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return 1`;

/** SAVE_FAST_LUA takes at most this many field/json arguments (Lua's unpack has a stack limit). */
const FAST_MAX_ARGS = 996;

// Slides the TTL of a session just read (restore with touch, when due): not
// an alias's (it keeps its grace), not a key gone meanwhile. ARGV = ttl (> 0),
// stamp. With touchAfter 0 the read and the slide are one script
// (RESTORE_TOUCH_LUA): every restore slides, one round trip.
const TOUCH_LUA = `
local got = redis.call('HMGET', KEYS[1], '${MARKER_FIELD}', '${ALIAS_FIELD}')
if got[2] then return 0 end
if not got[1] and redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], '${MARKER_FIELD}', ARGV[2])
return 1`;

// ARGV = ttl (> 0). Read and slide the TTL in one round trip (touchAfter 0).
// A renewal alias keeps its grace TTL: touching must not stretch it (the alias
// field is looked for in the reply, not with HEXISTS). The marker's stamp is
// left as it was: without touchAfter nothing reads it, and a stale stamp only
// makes a reader with touchAfter slide once more.
const RESTORE_TOUCH_LUA = `
local h = redis.call('HGETALL', KEYS[1])
for i = 1, #h, 2 do if h[i] == '${ALIAS_FIELD}' then return h end end
if #h > 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return h`;

// The user index of one user: a hash, field = a session key's hash, value = entry JSON.
// ARGV = field, entry, ttl (0 = leave it), [field to drop]. Returns the entry count.
const INDEX_ADD_LUA = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ARGV[4] then redis.call('HDEL', KEYS[1], ARGV[4]) end
local ttl = tonumber(ARGV[3])
if ttl > 0 then redis.call('EXPIRE', KEYS[1], ttl) end
return redis.call('HLEN', KEYS[1])`;

// Destroys a session key; an alias (renewed meanwhile) also names its target's hash,
// returned so the caller destroys that too. Returns {deleted, target or false}.
const DESTROY_LUA = `
local target = redis.call('HGET', KEYS[1], '${ALIAS_KEY_FIELD}')
local n = redis.call('DEL', KEYS[1])
return {n, target}`;

// Renewal, on the old key. ARGV = alias, target hash, grace. Already an alias:
// returns {0, alias}. Gone: {-1}. Else freezes it as an alias for \`grace\`
// seconds (saves to it now answer the alias) and returns {1, fields...} as they were.
const FREEZE_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
local alias = redis.call('HGET', KEYS[1], '${ALIAS_FIELD}')
if alias then return {0, alias} end
local h = redis.call('HGETALL', KEYS[1])
redis.call('HSET', KEYS[1], '${ALIAS_FIELD}', ARGV[1], '${ALIAS_KEY_FIELD}', ARGV[2])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
table.insert(h, 1, 1)
return h`;

// The claim that makes refresh and login a move exactly one caller wins, on the old key
// (on a Cluster the new key is on another slot: this script decides). ARGV = claim alias
// ('' = just delete), target hash, grace, claim metadata. Gone: {-1}. Already an alias
// (renewed, or claimed by another move): {0, alias, its metadata or ''}. Else deletes the
// record, leaves the claim for \`grace\` seconds when given one, and returns {1, fields...}
// as they were (with what saves wrote since the caller's copy).
const CLAIM_LUA = `
local h = redis.call('HGETALL', KEYS[1])
if #h == 0 then return {-1} end
for i = 1, #h, 2 do
  if h[i] == '${ALIAS_FIELD}' then
    local m = ''
    for j = 1, #h, 2 do if h[j] == '${META_FIELD}' then m = h[j + 1] end end
    return {0, h[i + 1], m}
  end
end
redis.call('DEL', KEYS[1])
if ARGV[1] ~= '' then
  redis.call('HSET', KEYS[1], '${ALIAS_FIELD}', ARGV[1], '${ALIAS_KEY_FIELD}', ARGV[2], '${META_FIELD}', ARGV[4])
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
end
table.insert(h, 1, 1)
return h`;

// Versioned names: another copy of this library on the same client may define different scripts.
const S_NEW: Script = { name: 'wasmSessionNew2', lua: NEW_LUA };
const S_SAVE: Script = { name: 'wasmSessionSave4', lua: SAVE_LUA };
const S_RESTORE_TOUCH: Script = { name: 'wasmSessionRestoreTouch4', lua: RESTORE_TOUCH_LUA };
const S_TOUCH: Script = { name: 'wasmSessionTouch1', lua: TOUCH_LUA };
const S_SAVE_FAST: Script = { name: 'wasmSessionSaveFast1', lua: SAVE_FAST_LUA };
const S_INDEX_ADD: Script = { name: 'wasmSessionIndexAdd1', lua: INDEX_ADD_LUA };
const S_DESTROY: Script = { name: 'wasmSessionDestroy1', lua: DESTROY_LUA };
const S_FREEZE: Script = { name: 'wasmSessionFreeze1', lua: FREEZE_LUA };
const S_CLAIM: Script = { name: 'wasmSessionClaim1', lua: CLAIM_LUA };
/** @internal The claim script (tests hold it at a gate to order races). */
export const CLAIM_SCRIPT: Script = S_CLAIM;

function mapRedisError(err: unknown): SessionError {
  const message = err instanceof Error ? err.message : String(err);
  // A key of another type (a hand-written string, say): the record is unreadable, not the store.
  if (message.includes('WRONGTYPE')) {
    return new CorruptRecordError('session record is not a Redis hash', { cause: err });
  }
  return new StoreUnavailableError(`session store error: ${message}`, { cause: err });
}

/** A record's reserved fields, as `toValue` found them. */
interface Extra {
  meta: SessionMeta | null;
  alias: string | null;
  /** The marker's value (the TTL's stamp), or undefined without one. */
  marker: string | undefined;
  /** Every field but the marker, metadata and alias (a copy for a new ID). */
  fields: Record<string, string>;
}

/** HGETALL's reply (object) or a script's (flat array) to a Value, without the marker. */
function toValue(reply: unknown, extra?: Extra): Value | undefined {
  const fields = fieldsOf(reply);
  if (fields === null) return undefined;
  if (extra) extra.marker = fields[MARKER_FIELD];
  delete fields[MARKER_FIELD];
  const meta = fields[META_FIELD];
  const alias = fields[ALIAS_FIELD];
  if (meta !== undefined || alias !== undefined || fields[ALIAS_KEY_FIELD] !== undefined) {
    delete fields[META_FIELD];
    delete fields[ALIAS_FIELD];
    delete fields[ALIAS_KEY_FIELD];
    if (extra) {
      extra.meta = meta === undefined ? null : decodeMeta(meta);
      extra.alias = alias ?? null;
    }
  }
  if (extra) extra.fields = fields;
  return valueFromFields(fields);
}

function newExtra(): Extra {
  return { meta: null, alias: null, marker: undefined, fields: {} };
}

/** A record for the cache (its fills): the Value, metadata, alias and data fields. */
function decodeRecord(reply: unknown): DecodedRecord | undefined {
  const extra = newExtra();
  const value = toValue(reply, extra);
  return value === undefined ? undefined : { value, meta: extra.meta, alias: extra.alias, fields: extra.fields };
}

function checkFieldName(key: string): void {
  if (RESERVED.has(key)) {
    throw new InvalidKeyError(`"${key}" is reserved by the Redis session provider`);
  }
}

/** Now in whole Unix seconds (the marker's stamps). */
function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Flattens a Value's fields for NEW_LUA, after the marker and its stamp. */
function allFields(v: Value, stamp: number): string[] {
  const out: string[] = [MARKER_FIELD, String(stamp)];
  const fields = v.fields();
  for (const key of Object.keys(fields)) {
    checkFieldName(key);
    out.push(key, fields[key] as string);
  }
  return out;
}

/** Valkey >= 9.1 (`HSETEX … XX`: fields written only into an existing key), from `INFO server`. */
function hasHsetexXX(info: string): boolean {
  if (!/^server_name:valkey\s*$/m.test(info)) return false;
  const m = /^valkey_version:(\d+)\.(\d+)/m.exec(info);
  return m !== null && (Number(m[1]) > 9 || (Number(m[1]) === 9 && Number(m[2]) >= 1));
}

/** The `durable` option, checked: replicas a whole number >= 1, waitMs below the timeout. */
function checkDurable(d: RedisProviderOptions['durable'], timeout: number): Durability | undefined {
  if (d === undefined) return undefined;
  const replicas = d.replicas;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 1) {
    throw new InvalidConfigError(`durable.replicas must be a whole number >= 1, got ${String(replicas)}`);
  }
  const waitMs = d.waitMs ?? (timeout > 0 ? Math.max(10, timeout - 250) : 1000);
  if (typeof waitMs !== 'number' || !Number.isInteger(waitMs) || waitMs < 1 || (timeout > 0 && waitMs >= timeout)) {
    throw new InvalidConfigError(`durable.waitMs must be a whole number of milliseconds >= 1 and below the timeout (${timeout} ms), got ${String(waitMs)}`);
  }
  return { replicas, waitMs };
}

export class RedisProvider implements Provider, StorerBackend {
  readonly #link: RedisLink;
  /** Lua-free saves (Valkey >= 9.1): undefined until asked, see #plainSaves. */
  #hsetex: boolean | undefined;
  #engineAsk: Promise<boolean> | null = null;
  /** The marker's stamp each Value was read or last written with (a Lua-free save decides the TTL slide by it). */
  readonly #stamps = new WeakMap<Value, string>();
  readonly #prefix: string;
  readonly #timeout: number;
  #touchAfter: number;
  readonly #touchAfterFixed: boolean;
  #ttl: number;
  #ttlFixed: boolean;

  constructor(client: RedisClient, options: RedisProviderOptions = {}) {
    const durable = checkDurable(options.durable, checkTimeout(options.timeout));
    // A TTL slide (restore with touch) is not waited for: losing one shortens a session, it loses no write.
    this.#link = durable === undefined ? linkTo(client) : new DurableLink(linkTo(client), durable, [S_RESTORE_TOUCH, S_TOUCH]);
    this.#link.prepare([S_NEW, S_SAVE, S_RESTORE_TOUCH, S_TOUCH, S_SAVE_FAST, S_INDEX_ADD, S_DESTROY, S_FREEZE, S_CLAIM]);
    const saveWith = options.saveWith ?? 'auto';
    if (saveWith !== 'auto' && saveWith !== 'lua') throw new InvalidConfigError(`saveWith must be 'auto' or 'lua', got ${String(saveWith)}`);
    // With an ioredis keyPrefix the client prefixes only the keys of commands it knows, and iovalkey does
    // not know HSETEX: the script then, whose key it always prefixes.
    if (saveWith === 'lua' || this.#link.keyPrefix !== '' || durable !== undefined) this.#hsetex = false;
    this.#prefix = options.prefix ?? DEFAULT_PREFIX;
    this.#timeout = checkTimeout(options.timeout);
    this.#ttlFixed = options.ttl !== undefined;
    this.#ttl = options.ttl === undefined ? FALLBACK_TTL : checkTtl(options.ttl);
    this.#touchAfterFixed = options.touchAfter !== undefined;
    const after = options.touchAfter ?? Math.floor(this.#ttl / 10);
    if (typeof after !== 'number' || !Number.isInteger(after) || after < 0) {
      throw new InvalidConfigError(`touchAfter must be a whole number of seconds >= 0, got ${String(after)}`);
    }
    this.#touchAfter = after;
    this.#checkTouchAfter();
    this.records = new RedisRecords(this.#link, this.#prefix, this.#timeout);
    if (options.cache !== undefined) {
      this.cache = new RedisSessionCache(this.#link, options.cache, {
        run: (op, what) => this.#run(op, what),
        decode: decodeRecord,
        aliasField: ALIAS_FIELD,
        save: S_SAVE,
        saveFast: S_SAVE_FAST,
        create: S_NEW,
        durable: durable,
      });
    }
    this.users = {
      ref: (sid) => this.#hash(sid),
      login: (sid, newSid, value, meta, options) => this.#login(sid, newSid, value, meta, options),
      logout: async (sid, userId) => {
        this.cache?.drop(this.keyFor(sid));
        await Promise.all([this.#run(this.#link.send(this.keyFor(sid), ['DEL', this.keyFor(sid)]), 'destroy'), this.#run(this.#link.send(this.indexKey(userId), ['HDEL', this.indexKey(userId), this.#hash(sid)]), 'destroy')]);
      },
      list: (userId, options) => this.#list(userId, options),
      destroy: (userId, refs) => this.#destroyRefs(userId, refs),
      revoked: async (sid) => Number(await this.#run(this.#link.send(this.#revokedKey(this.#hash(sid)), ['EXISTS', this.#revokedKey(this.#hash(sid))]), 'restore')) === 1,
    };
    // Asked now, so that the first save does not wait for it (an unreachable server is asked again by a save).
    if (this.#hsetex === undefined) void this.#plainSaves(this.#prefix);
  }

  /** The client-side cache (`cache` option), for its stats, `sync()` and `close()`; `undefined` without it. */
  readonly cache: RedisSessionCache | undefined;

  /** A revocation tombstone: its own key (another slot than the session's), never written into by a save. */
  #revokedKey(ref: string): string {
    return this.#prefix + 'revoked:' + ref;
  }

  /** The user index (`session.login` and friends): a hash per user at `prefix + 'user:' + sha256hex(userId)`. */
  readonly users: UserIndex;
  /** Compare-and-set records (remember-me series, device limits): see records.ts. */
  readonly records: RedisRecords;

  /** The Redis key of `userId`'s index. */
  indexKey(userId: string): string {
    return storeKey(this.#prefix + 'user:', userId);
  }

  /** A session key without the prefix: what the index holds (never a usable session ID). */
  #hash(sid: string): string {
    return this.keyFor(sid).slice(this.#prefix.length);
  }

  /** The TTL in seconds this provider applies (0 = none). */
  get ttl(): number {
    return this.#ttl;
  }

  /** Seconds within which a restore with touch does not slide the TTL again (see the option). */
  get touchAfter(): number {
    return this.#touchAfter;
  }

  get prefix(): string {
    return this.#prefix;
  }

  /** The Redis key holding `sid` (for inspection and tests; never log it next to the ID). */
  keyFor(sid: string): string {
    return storeKey(this.#prefix, sid);
  }

  /** A touchAfter of the TTL or more would let a session in use expire untouched. */
  #checkTouchAfter(): void {
    if (this.#touchAfter > 0 && this.#ttl > 0 && this.#touchAfter >= this.#ttl) {
      throw new InvalidConfigError(`touchAfter (${this.#touchAfter} s) must be less than the TTL (${this.#ttl} s)`);
    }
  }

  useDefaults(defaults: ProviderDefaults): void {
    if (!this.#ttlFixed) this.#ttl = checkTtl(defaults.ttl);
    if (!this.#touchAfterFixed) this.#touchAfter = defaults.touchAfter ?? Math.floor(this.#ttl / 10);
    this.#checkTouchAfter();
    if (defaults.lifetime !== undefined) this.#lifetime = defaults.lifetime;
  }

  /** The Session's cookieExpire (the longest a session lives), for tombstones when there is no idle TTL. */
  #lifetime = 0;

  async new(sid: string, initial?: Value): Promise<Storer> {
    const value = initial ?? new Value();
    const key = this.keyFor(sid);
    const args = [this.#ttl, ...allFields(value, this.#stamp(nowSeconds()))];
    // With the cache: created over its connection and cached at once (the first returning request is a hit).
    const cache = this.cache?.serving === true ? this.cache : undefined;
    const created = await this.#run(cache === undefined ? this.#link.script(S_NEW, key, [...args]) : cache.create(key, args, value), 'new');
    if (Number(created) !== 1) throw new DuplicateIdError();
    value.markSaved();
    this.#stamps.set(value, String(args[2]));
    return new ProviderStorer(this, sid, value);
  }

  /** The marker's stamp for a TTL set at `now` (0: no TTL). */
  #stamp(now: number): number {
    return this.#ttl > 0 ? now + this.#ttl : 0;
  }

  /** A cache hit that needs no command, else `null` (the manager then calls `restore`). */
  restoreSync(sid: string, options: RestoreOptions = {}): Storer | null {
    const hit = this.cache?.peek(this.keyFor(sid), options.touch === true ? this.#ttl : 0, this.#touchAfter) ?? null;
    return hit === null ? null : new ProviderStorer(this, sid, hit.value, hit.meta);
  }

  /**
   * A restore with touch: one script that reads and slides when every touch
   * slides (touchAfter 0); else one plain HGETALL, and the slide (a second,
   * small script) only when the marker says the TTL was set at least
   * `touchAfter` seconds ago — once per touchAfter per session in use.
   */
  async restore(sid: string, options: RestoreOptions = {}): Promise<Storer> {
    const key = this.keyFor(sid);
    if (this.cache?.serving === true) {
      const got = await this.cache.restore(key, options.touch === true ? this.#ttl : 0, this.#touchAfter);
      // Gone, or moved by a login (a claim: gone for everyone but a concurrent login, see #move).
      if (got === null || (got.alias !== null && isClaim(got.alias))) throw new SessionNotFoundError();
      return new ProviderStorer(this, sid, got.value, got.meta, got.alias);
    }
    const touch = options.touch === true && this.#ttl > 0;
    const reply = await this.#run(
      touch && this.#touchAfter === 0 ? this.#link.script(S_RESTORE_TOUCH, key, [this.#ttl]) : this.#link.send(key, ['HGETALL', key]),
      'restore',
    );
    const extra = newExtra();
    const value = toValue(reply, extra);
    if (!value) throw new SessionNotFoundError();
    if (touch && this.#touchAfter > 0 && extra.alias === null) {
      const now = nowSeconds();
      // Stamp = when the TTL runs out as last set: due once under ttl - touchAfter of it is left.
      const stamp = Number(extra.marker ?? 0);
      if (!(stamp - now > this.#ttl - this.#touchAfter)) {
        await this.#run(this.#link.script(S_TOUCH, key, [this.#ttl, this.#stamp(now)]), 'restore');
        extra.marker = String(this.#stamp(now));
      }
    }
    if (extra.marker !== undefined) this.#stamps.set(value, extra.marker);
    if (extra.meta !== null || extra.alias !== null) {
      // Moved by a login: gone for everyone but a concurrent login (see #move).
      if (extra.alias !== null && isClaim(extra.alias)) throw new SessionNotFoundError();
      return new ProviderStorer(this, sid, value, extra.meta, extra.alias);
    }
    return new ProviderStorer(this, sid, value);
  }

  /**
   * Moves the data to `newSid` (see #move): of concurrent refreshes of one
   * ID exactly one wins; the others find it gone (`SessionNotFoundError`).
   */
  async refresh(sid: string, newSid: string): Promise<Storer> {
    const moved = await this.#move(sid, newSid, null, null);
    return new ProviderStorer(this, newSid, moved.value);
  }

  /**
   * The move behind refresh and login, a move exactly one caller wins: copy
   * the old record to `newSid` (create-if-absent), then claim the old key
   * (CLAIM_LUA: one script on its slot decides between concurrent movers);
   * the winner applies to the copy what saves wrote to the old key between
   * its read and the claim, a loser deletes its copy. At every moment one of
   * the keys holds the data. `meta` = the new record's metadata (login);
   * `claim` = what the old key keeps for a concurrent login of the same user.
   */
  async #move(sid: string, newSid: string, meta: SessionMeta | null, claim: { alias: string; grace: number } | null): Promise<{ value: Value; meta: SessionMeta | null }> {
    const oldKey = this.keyFor(sid);
    const first = newExtra();
    const read = toValue(await this.#run(this.#link.send(oldKey, ['HGETALL', oldKey]), 'refresh'), first);
    if (!read) throw new SessionNotFoundError();
    if (first.alias !== null) throw lost(first.alias, first.meta, meta);
    const copied = first.fields;
    const args: string[] = [MARKER_FIELD, String(this.#stamp(nowSeconds()))];
    for (const key of Object.keys(copied)) args.push(key, copied[key] as string);
    if (meta !== null) args.push(META_FIELD, encodeMeta(meta));
    const newKey = this.keyFor(newSid);
    const created = await this.#run(this.#link.script(S_NEW, newKey, [this.#ttl, ...args]), 'refresh');
    if (Number(created) !== 1) throw new DuplicateIdError();
    const claimArgs = claim === null ? ['', '', 0, ''] : [CLAIM_MARK + claim.alias, this.#hash(newSid), Math.max(1, claim.grace), encodeMeta(meta ?? {})];
    const claimed = (await this.#run(this.#link.script(S_CLAIM, oldKey, [...claimArgs]), 'refresh')) as unknown[];
    const state = Number(claimed[0]);
    this.cache?.drop(oldKey);
    if (state !== 1) {
      // Lost: another move (or a renewal, or a destroy) got there first. No copy stays behind.
      await this.#run(this.#link.send(newKey, ['DEL', newKey]), 'refresh');
      if (state === 0) throw lost(String(claimed[1]), claimed[2] ? decodeMeta(String(claimed[2])) : null, meta);
      throw new SessionNotFoundError();
    }
    const { value, extra } = await this.#catchUp(newKey, copied, claimed.slice(1));
    return { value, meta: extra.meta };
  }

  /**
   * After a copy to `newKey` and a claim or freeze of the old key: applies to the
   * copy what saves wrote to the old key in between (`old` = its fields at the claim).
   */
  async #catchUp(newKey: string, copied: Record<string, unknown>, old: unknown[]): Promise<{ value: Value; extra: Extra }> {
    const extra = newExtra();
    const value = toValue(old, extra) ?? new Value();
    const now = extra.fields;
    const sets: string[] = [];
    const dels: string[] = [];
    for (const key of Object.keys(now)) if (copied[key] !== now[key]) sets.push(key, now[key] as string);
    for (const key of Object.keys(copied)) if (!(key in now)) dels.push(key);
    if (sets.length > 0 || dels.length > 0) {
      await this.#run(this.#link.script(S_SAVE, newKey, [this.#ttl, this.#stamp(nowSeconds()), Number.MAX_SAFE_INTEGER, '0', sets.length / 2, ...sets, ...dels]), 'refresh');
    }
    return { value, extra };
  }

  async destroy(sid: string): Promise<void> {
    this.cache?.drop(this.keyFor(sid));
    await this.#run(this.#link.send(this.keyFor(sid), ['DEL', this.keyFor(sid)]), 'destroy');
  }

  /** @internal Writes `v`'s changes (or all of it with `full`) into an existing session. */
  async save(sid: string, v: Value, full: boolean): Promise<void> {
    const changes = v.changes();
    const cleared = full || changes.cleared;
    const sets = cleared ? Object.entries(v.fields()) : [...changes.set];
    const args: string[] = [];
    for (const [key, json] of sets) {
      checkFieldName(key);
      args.push(key, json);
    }
    if (!cleared) {
      for (const key of changes.deleted) if (key !== MARKER_FIELD) args.push(key);
    }
    const key = this.keyFor(sid);
    const now = nowSeconds();
    const stamp = this.#stamp(now);
    const slideAlways = this.#touchAfter === 0 || this.#ttl === 0;
    // With the cache, over its connection (NOLOOP: this save does not invalidate the copy it updates).
    const cache = this.cache?.serving === true ? this.cache : undefined;
    const before = cache?.beforeSave();
    let saved: unknown;
    try {
      const deleted = args.length - sets.length * 2;
      // Lua-free when the TTL needs no slide (see #savePlain): by the stamp this Value was read with.
      const known = this.#stamps.get(v);
      const limit = String(stamp - this.#touchAfter + 1);
      const fresh = !slideAlways && known !== undefined && known.length === limit.length && known >= limit;
      const plain = fresh && !cleared && args.length > 0 && args.length <= FAST_MAX_ARGS ? this.#plainSaves(key) : false;
      if (plain === true || (plain !== false && (await plain))) {
        saved = await this.#savePlain(key, args.slice(0, sets.length * 2), args.slice(sets.length * 2), known as string, cache);
      } else if (!cleared && deleted === 0 && args.length <= FAST_MAX_ARGS) {
        // Slide unless the stored stamp (same width) is at least limit: '~' sorts after every digit.
        const limit = slideAlways ? '~' : String(stamp - this.#touchAfter + 1);
        const fastArgs = [this.#ttl, limit, MARKER_FIELD, stamp, ...args];
        saved = await this.#run(cache === undefined ? this.#link.script(S_SAVE_FAST, key, [...fastArgs]) : cache.saveFast(key, fastArgs), 'save');
      } else {
        // Slide (EXPIRE and a new stamp) when the stamp is below limit: always without touchAfter.
        const limit = slideAlways ? Number.MAX_SAFE_INTEGER : stamp - this.#touchAfter + 1;
        const saveArgs = [this.#ttl, stamp, limit, cleared ? '1' : '0', sets.length, ...args];
        saved = await this.#run(cache === undefined ? this.#link.script(S_SAVE, key, [...saveArgs]) : cache.save(key, saveArgs), 'save');
      }
    } catch (err) {
      cache?.drop(key);
      throw err;
    }
    if (typeof saved === 'string' || Number(saved) !== 1) cache?.drop(key);
    if (typeof saved === 'string') {
      // Moved by a login: a save of the pre-login session must not reach the logged-in one.
      if (isClaim(saved)) throw new SessionNotFoundError('session was logged in by another request before it was saved');
      throw new SessionMovedError(saved);
    }
    if (Number(saved) !== 1) throw new SessionNotFoundError('session expired or was destroyed before it was saved');
    if (cache !== undefined && before !== undefined) cache.saved(key, before, { cleared, sets: args.slice(0, sets.length * 2), deleted: cleared ? [] : args.slice(sets.length * 2) }, this.#ttl);
  }

  /**
   * Whether the common save goes Lua-free: Valkey >= 9.1, asked once (`INFO
   * server`, on the first save). A server that refuses INFO (an ACL) keeps the
   * script; one that cannot be reached is asked again by a later save.
   */
  #plainSaves(key: string): boolean | Promise<boolean> {
    if (this.#hsetex !== undefined) return this.#hsetex;
    this.#engineAsk ??= this.#run(this.#link.send(key, ['INFO', 'server']), 'save').then(
      (info) => (this.#hsetex = hasHsetexXX(String(info))),
      (err: unknown) => {
        this.#engineAsk = null;
        if (err instanceof StoreUnavailableError && /\b(NOPERM|ERR)\b/.test(err.message)) this.#hsetex = false;
        return false;
      },
    );
    return this.#engineAsk;
  }

  /**
   * The Lua-free save (Valkey >= 9.1), one MULTI, for a save whose TTL needs
   * no slide (the stamp this request read is within touchAfter; a save that
   * slides is the script, once per touchAfter): `HSETEX key XX FIELDS …`
   * writes the changed fields only if the key exists (a session destroyed or
   * expired meanwhile is not brought back: 0), `HDEL` the deleted ones, and
   * last `HGET` of the alias field: a renewed or logged-in ID answers its
   * alias, and the save is redirected as with the script (what it wrote went
   * into an alias nobody reads the data of, whose TTL it left alone). The
   * read last also tracks the key again for the cache (NOLOOP). Answers as
   * the scripts do: 1, 0, or the alias.
   */
  async #savePlain(key: string, sets: string[], dels: string[], stamp: string, cache: RedisSessionCache | undefined): Promise<unknown> {
    // HSETEX needs a field: a save that only deletes rewrites the marker as it was read.
    const fields = sets.length > 0 ? sets : [MARKER_FIELD, stamp];
    const cmds: (string | number)[][] = [['HSETEX', key, 'XX', 'FIELDS', fields.length / 2, ...fields]];
    if (dels.length > 0) cmds.push(['HDEL', key, ...dels]);
    cmds.push(['HGET', key, ALIAS_FIELD]);
    const replies = await this.#run(cache === undefined ? this.#link.transaction(key, cmds) : cache.transaction(cmds), 'save');
    if (replies === null) throw new StoreUnavailableError('session store error: the save transaction was aborted');
    for (const r of replies) if (r instanceof Error) throw mapRedisError(r);
    const alias = replies[replies.length - 1];
    if (alias !== null && alias !== undefined) return String(alias);
    return Number(replies[0]);
  }

  async #login(sid: string | null, newSid: string, value: Value, meta: SessionMeta, options: IndexOptions): Promise<MetaStorer> {
    const userId = meta.userId as string;
    let oldUser: string | undefined;
    if (sid !== null) {
      const claim = options.alias === undefined ? null : { alias: options.alias, grace: options.grace ?? 30 };
      oldUser = (await this.#move(sid, newSid, meta, claim)).meta?.userId;
    } else {
      const fields = value.fields();
      const args: string[] = [MARKER_FIELD, String(this.#stamp(nowSeconds()))];
      for (const key of Object.keys(fields)) {
        checkFieldName(key);
        args.push(key, fields[key] as string);
      }
      args.push(META_FIELD, encodeMeta(meta));
      const created = await this.#run(this.#link.script(S_NEW, this.keyFor(newSid), [this.#ttl, ...args]), 'refresh');
      if (Number(created) !== 1) throw new DuplicateIdError();
      value.markSaved();
    }
    const entry = encodeEntry({ sidHint: hintOf(newSid), loginAt: meta.loginAt ?? Date.now(), label: meta.label ?? null });
    const drop = sid !== null && oldUser === userId ? [this.#hash(sid)] : [];
    const size = await this.#run(this.#link.script(S_INDEX_ADD, this.indexKey(userId), [this.#hash(newSid), entry, options.indexTtl, ...drop]), 'refresh');
    // The old ID leaves its previous user's index.
    if (sid !== null && oldUser !== undefined && oldUser !== userId) await this.#run(this.#link.send(this.indexKey(oldUser), ['HDEL', this.indexKey(oldUser), this.#hash(sid)]), 'refresh');
    // Now and then, prune a big index here too (listing prunes it anyway): bounded work per login.
    if (Number(size) >= PRUNE_EVERY && Number(size) % PRUNE_EVERY === 0) await this.#list(userId, options);
    // The request's own Value: its changes not yet saved are written (as changes) by its next save.
    return new ProviderStorer(this, newSid, value, meta);
  }

  /**
   * Renewal: copy to `newSid` (with the new metadata), then freeze `sid` as an
   * alias (one script: from then on saves to it are redirected) and apply to
   * `newSid` what concurrent saves wrote to `sid` between the copy and the
   * freeze. Two keys, two slots: no cross-slot script.
   */
  async renew(sid: string, newSid: string, options: RenewOptions): Promise<MetaStorer | { alias: string } | null> {
    const copied = options.value.fields();
    const args: string[] = [MARKER_FIELD, String(this.#stamp(nowSeconds()))];
    for (const key of Object.keys(copied)) args.push(key, copied[key] as string);
    args.push(META_FIELD, encodeMeta(options.meta));
    const newKey = this.keyFor(newSid);
    const created = await this.#run(this.#link.script(S_NEW, newKey, [this.#ttl, ...args]), 'refresh');
    if (Number(created) !== 1) throw new DuplicateIdError();
    this.cache?.drop(this.keyFor(sid));
    const frozen = (await this.#run(this.#link.script(S_FREEZE, this.keyFor(sid), [options.alias, this.#hash(newSid), Math.max(1, options.grace)]), 'refresh')) as unknown[];
    const state = Number(frozen[0]);
    if (state !== 1) {
      await this.#run(this.#link.send(newKey, ['DEL', newKey]), 'refresh');
      return state === 0 && !isClaim(String(frozen[1])) ? { alias: String(frozen[1]) } : null;
    }
    const { value } = await this.#catchUp(newKey, copied, frozen.slice(1));
    const userId = options.meta.userId;
    if (userId !== undefined) {
      const entry = encodeEntry({ sidHint: hintOf(newSid), loginAt: options.meta.loginAt ?? Date.now(), label: options.meta.label ?? null });
      await this.#run(this.#link.script(S_INDEX_ADD, this.indexKey(userId), [this.#hash(newSid), entry, 0, this.#hash(sid)]), 'refresh');
    }
    return new ProviderStorer(this, newSid, value, options.meta);
  }

  /** A Storer for `sid` holding `value` (a save redirected from a renewed ID). */
  attach(sid: string, value: Value): Storer {
    return new ProviderStorer(this, sid, value);
  }

  async #list(userId: string, _options: IndexOptions): Promise<IndexedSession[]> {
    const indexKey = this.indexKey(userId);
    const all = fieldsOf(await this.#run(this.#link.send(indexKey, ['HGETALL', indexKey]), 'restore')) ?? {};
    const refs = Object.keys(all);
    if (refs.length === 0) return [];
    // One PTTL per session, in parallel: the keys may live on any Cluster node.
    const ttls = await Promise.all(refs.map((ref) => this.#run(this.#link.send(this.#prefix + ref, ['PTTL', this.#prefix + ref]), 'restore')));
    const now = Date.now();
    const out: IndexedSession[] = [];
    const dead: string[] = [];
    refs.forEach((ref, i) => {
      const pttl = Number(ttls[i]);
      const entry = decodeEntry(all[ref] as string);
      if (pttl === -2 || entry === null) {
        dead.push(ref);
        return;
      }
      const lastSeenAt = this.#ttl > 0 && pttl > 0 ? now - Math.max(0, this.#ttl * 1000 - pttl) : null;
      out.push({ ref, sidHint: entry.sidHint, loginAt: entry.loginAt, label: entry.label, lastSeenAt });
    });
    if (dead.length > 0) await this.#run(this.#link.send(indexKey, ['HDEL', indexKey, ...dead]), 'destroy');
    return out;
  }

  async #destroyRefs(userId: string, refs: readonly string[]): Promise<number> {
    for (const ref of refs) this.cache?.drop(this.#prefix + ref);
    // Tombstones first (for reason 'revoked'), as long as an idle session could have lived.
    const tomb = this.#ttl > 0 ? this.#ttl : this.#lifetime > 0 ? this.#lifetime : 86_400;
    await Promise.all(refs.map((ref) => this.#run(this.#link.send(this.#revokedKey(ref), ['SET', this.#revokedKey(ref), '1', 'EX', tomb]), 'destroy')));
    const results = await Promise.all(
      refs.map(async (ref) => {
        const [n, target] = (await this.#run(this.#link.script(S_DESTROY, this.#prefix + ref, []), 'destroy')) as [number, string | null | false];
        // Renewed meanwhile: its new ID goes too.
        if (typeof target === 'string' && target.length > 0) return Number(await this.#run(this.#link.send(this.#prefix + target, ['DEL', this.#prefix + target]), 'destroy'));
        return Number(n);
      }),
    );
    await this.#run(this.#link.send(this.indexKey(userId), ['HDEL', this.indexKey(userId), ...refs]), 'destroy');
    return results.reduce((a, b) => a + b, 0);
  }

  /** @internal */
  async touch(sid: string): Promise<void> {
    const key = this.keyFor(sid);
    const found =
      this.#ttl > 0
        ? await this.#run(this.#link.send(key, ['EXPIRE', key, this.#ttl]), 'touch')
        : await this.#run(this.#link.send(key, ['EXISTS', key]), 'touch');
    if (Number(found) !== 1) throw new SessionNotFoundError();
  }

  #run<T>(op: Promise<T>, what: string): Promise<T> {
    return withDeadline(op, this.#timeout, what, mapRedisError);
  }
}
export type { RedisRecords } from './records.js';
