/**
 * Redis provider (ioredis), for a single server or a Redis Cluster.
 *
 * Layout: one hash per session at `prefix + sha256hex(sid)`, one field per
 * Value key holding that key's JSON, plus the marker field `__ws` so an empty
 * session still exists (Redis drops empty hashes). Every write is one
 * single-key Lua script, so it is atomic and Cluster-safe.
 *
 * ioredis is only imported as a type: the app passes its own client.
 */
import type { Cluster, Redis } from 'ioredis';
import {
  CorruptRecordError,
  DuplicateIdError,
  InvalidKeyError,
  SessionError,
  SessionNotFoundError,
  StoreUnavailableError,
} from '../errors.js';
import { Value } from '../manager/value.js';
import { checkTimeout, checkTtl, withDeadline } from './deadline.js';
import { DEFAULT_PREFIX, storeKey } from './keys.js';
import type { Provider, ProviderDefaults, RestoreOptions, Storer } from './provider.js';
import { ProviderStorer, type StorerBackend } from './storer.js';

/** The hash field that keeps an empty session in existence. Not a usable Value key. */
export const MARKER_FIELD = '__ws';

/** TTL used when neither the `ttl` option nor a Session's defaults gave one (seconds). */
export const FALLBACK_TTL = 1_800;

export interface RedisProviderOptions {
  /** Store-key prefix. Default `sess:`. */
  prefix?: string;
  /** Idle timeout in seconds (the key's TTL); 0 = no expiry. Default: the Session's `sessionExpire`. */
  ttl?: number;
  /** Bound on each operation in milliseconds; past it the call rejects with `ERR_STORE_UNAVAILABLE`. Default 2000. */
  timeout?: number;
}

/** A standalone ioredis client or an ioredis Cluster. */
export type RedisClient = Redis | Cluster;

// KEYS[1] = session key; ARGV = ttl, field1, json1, ... Create-if-absent.
const NEW_LUA = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], '${MARKER_FIELD}', '1')
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
local ttl = tonumber(ARGV[1])
if ttl > 0 then redis.call('EXPIRE', KEYS[1], ttl) end
return 1`;

// ARGV = ttl, cleared ('1'/'0'), n, n field/json pairs, then fields to delete.
// Writes only into an existing key: a session destroyed (logout) or expired
// meanwhile must not come back half-empty.
const SAVE_LUA = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[2] == '1' then redis.call('DEL', KEYS[1]) end
redis.call('HSET', KEYS[1], '${MARKER_FIELD}', '1')
local last = 3 + 2 * tonumber(ARGV[3])
for i = 4, last, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
for i = last + 1, #ARGV do redis.call('HDEL', KEYS[1], ARGV[i]) end
local ttl = tonumber(ARGV[1])
if ttl > 0 then redis.call('EXPIRE', KEYS[1], ttl) else redis.call('PERSIST', KEYS[1]) end
return 1`;

// ARGV = ttl. Read and slide the TTL in one round trip.
const RESTORE_TOUCH_LUA = `
local h = redis.call('HGETALL', KEYS[1])
local ttl = tonumber(ARGV[1])
if ttl > 0 and #h > 0 then redis.call('EXPIRE', KEYS[1], ttl) end
return h`;

// Versioned names: another copy of this library on the same client may define different scripts.
const CMD_NEW = 'wasmSessionNew1';
const CMD_SAVE = 'wasmSessionSave1';
const CMD_RESTORE_TOUCH = 'wasmSessionRestoreTouch1';

type ScriptFn = (key: string, ...args: (string | number)[]) => Promise<unknown>;
type ScriptHost = Record<typeof CMD_NEW | typeof CMD_SAVE | typeof CMD_RESTORE_TOUCH, ScriptFn>;

function mapRedisError(err: unknown): SessionError {
  const message = err instanceof Error ? err.message : String(err);
  // A key of another type (a hand-written string, say): the record is unreadable, not the store.
  if (message.includes('WRONGTYPE')) {
    return new CorruptRecordError('session record is not a Redis hash', { cause: err });
  }
  return new StoreUnavailableError(`session store error: ${message}`, { cause: err });
}

/** HGETALL's reply (object) or a script's (flat array) to a Value, without the marker. */
function toValue(reply: unknown): Value | undefined {
  // No prototype: a field named `__proto__` is a key like any other, not a prototype change.
  const fields = Object.create(null) as Record<string, string>;
  let count = 0;
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) {
      fields[String(reply[i])] = String(reply[i + 1]);
      count++;
    }
  } else if (reply !== null && typeof reply === 'object') {
    for (const [k, v] of Object.entries(reply as Record<string, string>)) {
      fields[k] = v;
      count++;
    }
  }
  if (count === 0) return undefined;
  delete fields[MARKER_FIELD];
  return Value.fromFields(fields);
}

function checkFieldName(key: string): void {
  if (key === MARKER_FIELD) {
    throw new InvalidKeyError(`"${MARKER_FIELD}" is reserved by the Redis session provider`);
  }
}

/** Flattens a Value's fields for NEW_LUA. */
function allFields(v: Value): string[] {
  const out: string[] = [];
  const fields = v.fields();
  for (const key of Object.keys(fields)) {
    checkFieldName(key);
    out.push(key, fields[key] as string);
  }
  return out;
}

export class RedisProvider implements Provider, StorerBackend {
  readonly #client: RedisClient;
  readonly #scripts: ScriptHost;
  readonly #prefix: string;
  readonly #timeout: number;
  #ttl: number;
  #ttlFixed: boolean;

  constructor(client: RedisClient, options: RedisProviderOptions = {}) {
    this.#client = client;
    this.#prefix = options.prefix ?? DEFAULT_PREFIX;
    this.#timeout = checkTimeout(options.timeout);
    this.#ttlFixed = options.ttl !== undefined;
    this.#ttl = options.ttl === undefined ? FALLBACK_TTL : checkTtl(options.ttl);
    const host = client as unknown as Partial<ScriptHost>;
    // defineCommand gives EVALSHA with an EVAL fallback on NOSCRIPT, per node on a Cluster.
    if (typeof host[CMD_NEW] !== 'function') client.defineCommand(CMD_NEW, { numberOfKeys: 1, lua: NEW_LUA });
    if (typeof host[CMD_SAVE] !== 'function') client.defineCommand(CMD_SAVE, { numberOfKeys: 1, lua: SAVE_LUA });
    if (typeof host[CMD_RESTORE_TOUCH] !== 'function') {
      client.defineCommand(CMD_RESTORE_TOUCH, { numberOfKeys: 1, lua: RESTORE_TOUCH_LUA });
    }
    this.#scripts = client as unknown as ScriptHost;
  }

  /** The TTL in seconds this provider applies (0 = none). */
  get ttl(): number {
    return this.#ttl;
  }

  get prefix(): string {
    return this.#prefix;
  }

  /** The Redis key holding `sid` (for inspection and tests; never log it next to the ID). */
  keyFor(sid: string): string {
    return storeKey(this.#prefix, sid);
  }

  useDefaults(defaults: ProviderDefaults): void {
    if (!this.#ttlFixed) this.#ttl = checkTtl(defaults.ttl);
  }

  async new(sid: string, initial?: Value): Promise<Storer> {
    const value = initial ?? new Value();
    const created = await this.#run(
      this.#scripts[CMD_NEW](this.keyFor(sid), this.#ttl, ...allFields(value)),
      'new',
    );
    if (Number(created) !== 1) throw new DuplicateIdError();
    value.markSaved();
    return new ProviderStorer(this, sid, value);
  }

  async restore(sid: string, options: RestoreOptions = {}): Promise<Storer> {
    const key = this.keyFor(sid);
    const reply = await this.#run(
      options.touch && this.#ttl > 0
        ? this.#scripts[CMD_RESTORE_TOUCH](key, this.#ttl)
        : this.#client.hgetall(key),
      'restore',
    );
    const value = toValue(reply);
    if (!value) throw new SessionNotFoundError();
    return new ProviderStorer(this, sid, value);
  }

  /**
   * Copies the data to `newSid` (create-if-absent, fresh TTL), then deletes
   * `sid`. Two steps because on a Cluster the keys live in different slots;
   * between them both IDs hold the data, never neither. A write to `sid`
   * landing between the copy and the delete is lost.
   */
  async refresh(sid: string, newSid: string): Promise<Storer> {
    const oldKey = this.keyFor(sid);
    const value = toValue(await this.#run(this.#client.hgetall(oldKey), 'refresh'));
    if (!value) throw new SessionNotFoundError();
    const created = await this.#run(
      this.#scripts[CMD_NEW](this.keyFor(newSid), this.#ttl, ...allFields(value)),
      'refresh',
    );
    if (Number(created) !== 1) throw new DuplicateIdError();
    await this.#run(this.#client.del(oldKey), 'refresh');
    return new ProviderStorer(this, newSid, value);
  }

  async destroy(sid: string): Promise<void> {
    await this.#run(this.#client.del(this.keyFor(sid)), 'destroy');
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
    const saved = await this.#run(
      this.#scripts[CMD_SAVE](this.keyFor(sid), this.#ttl, cleared ? '1' : '0', sets.length, ...args),
      'save',
    );
    if (Number(saved) !== 1) throw new SessionNotFoundError('session expired or was destroyed before it was saved');
  }

  /** @internal */
  async touch(sid: string): Promise<void> {
    const key = this.keyFor(sid);
    const found =
      this.#ttl > 0
        ? await this.#run(this.#client.expire(key, this.#ttl), 'touch')
        : await this.#run(this.#client.exists(key), 'touch');
    if (Number(found) !== 1) throw new SessionNotFoundError();
  }

  #run<T>(op: Promise<T>, what: string): Promise<T> {
    return withDeadline(op, this.#timeout, what, mapRedisError);
  }
}
