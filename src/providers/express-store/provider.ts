/**
 * Any express-session store (connect-redis, connect-pg-simple, memorystore,
 * connect-mongo, ...) as a `Provider`:
 *
 * ```ts
 * import { RedisStore } from 'connect-redis';
 * import { createClient } from 'redis';
 * import { Session } from 'wasm-session';
 * import { ExpressStoreProvider } from 'wasm-session/express-store';
 *
 * const client = createClient();
 * await client.connect();
 * const session = new Session(new ExpressStoreProvider(new RedisStore({ client })), { cookieSecret: process.env.SESSION_SECRET! });
 * ```
 *
 * Records keep express-session's shape (`{ cookie: { originalMaxAge, expires, maxAge, ... }, ...data }`)
 * under the raw session ID, so the same store can serve express-session, the
 * `wasm-session/express-session` entry and a core `Session` at once.
 * @module providers/express-store
 */
import {
  CorruptRecordError,
  DuplicateIdError,
  InvalidConfigError,
  InvalidValueError,
  SessionError,
  SessionNotFoundError,
  StoreUnavailableError,
} from '../../errors.js';
import { MAX_DEPTH, Value } from '../../manager/value.js';
import { checkTimeout, checkTtl } from '../deadline.js';
import type { Provider, ProviderDefaults, RestoreOptions, Storer } from '../provider.js';
import { ProviderStorer, type StorerBackend } from '../storer.js';
import { parseBounded } from '../record.js';

/** Node-style callback of an express-session store method. */
export type StoreCallback<T = unknown> = (err?: unknown, value?: T) => void;

/**
 * The part of an express-session store this library calls: `get`, `set`,
 * `destroy`, and `touch` when the store has it. Callback-style (the
 * express-session contract) or promise-returning methods both work.
 */
export interface ExpressStoreLike {
  get(sid: string, callback: StoreCallback<unknown>): unknown;
  set(sid: string, session: object, callback: StoreCallback<void>): unknown;
  destroy(sid: string, callback: StoreCallback<void>): unknown;
  touch?(sid: string, session: object, callback: StoreCallback<void>): unknown;
}

/**
 * Calls `store[method](...args, callback)` and settles with whichever comes
 * first: the callback, or the promise the method returns (promise-style
 * stores), or a `StoreUnavailableError` after `ms` (some stores never call
 * back, e.g. on a lost connection). Later answers are ignored. A store
 * method that throws synchronously rejects. Errors are the store's own;
 * `callStore` maps them to `StoreUnavailableError`.
 */
export function callStoreRaw<T>(store: object, method: string, args: readonly unknown[], ms: number): Promise<T> {
  const fn = (store as Record<string, unknown>)[method];
  if (typeof fn !== 'function') return Promise.reject(new InvalidConfigError(`the session store has no ${method} method`));
  return new Promise<T>((resolve, reject) => {
    let done = false;
    // setTimeout cannot wait longer than 2^31-1 ms: treat that (and 0) as no bound.
    const timer =
      ms > 0 && ms <= 0x7fffffff
        ? setTimeout(() => settle(new StoreUnavailableError(`session store did not answer ${method} within ${ms} ms`)), ms)
        : undefined;
    // An outstanding deadline must not keep the process alive on its own.
    timer?.unref();
    function settle(err?: unknown, value?: T): void {
      if (done) return;
      done = true;
      if (timer !== undefined) clearTimeout(timer);
      if (err !== undefined && err !== null) reject(err);
      else resolve(value as T);
    }
    let ret: unknown;
    try {
      ret = (fn as (...a: unknown[]) => unknown).apply(store, [...args, settle]);
    } catch (err) {
      settle(err ?? new Error(`session store ${method} threw`));
      return;
    }
    if (ret !== null && typeof ret === 'object' && typeof (ret as { then?: unknown }).then === 'function') {
      (ret as PromiseLike<T>).then(
        (v) => settle(undefined, v),
        (err: unknown) => settle(err ?? new Error(`session store ${method} rejected`)),
      );
    }
  });
}

/** `callStoreRaw` with every failure a `SessionError` (`StoreUnavailableError` unless the store threw one). */
export function callStore<T>(store: object, method: string, args: readonly unknown[], ms: number): Promise<T> {
  return callStoreRaw<T>(store, method, args, ms).catch((err: unknown) => {
    if (err instanceof SessionError) throw err;
    throw new StoreUnavailableError(`session store ${method} failed: ${describe(err)}`, { cause: err });
  });
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export interface ExpressStoreProviderOptions {
  /**
   * Idle timeout in seconds, written into each record's `cookie` (`expires`
   * and `maxAge`) so the store expires it; 0 = no expiry written (the store's
   * own default applies, e.g. connect-redis's one day). Default: the
   * Session's `sessionExpire`.
   */
  ttl?: number;
  /** Bound on every store call, ms (default 2000; 0 = none). */
  timeout?: number;
  /** Cookie attributes to record in `cookie` (what express-session would record); default `path: '/'`, `httpOnly: true`. */
  cookie?: { path?: string; httpOnly?: boolean; secure?: boolean; domain?: string; sameSite?: boolean | 'lax' | 'strict' | 'none' };
}

/** The express-session record of a session: data plus its `cookie`. */
export interface ExpressRecord {
  cookie: { originalMaxAge: number | null; expires?: Date | string | null; maxAge?: number | null; [k: string]: unknown };
  [key: string]: unknown;
}

/**
 * A Provider over an express-session store.
 *
 * Whole-record writes: every save rewrites the record with `set`, so two
 * requests saving the same session at once end with the last one's data
 * (last write wins). `RedisProvider` merges per key instead; use it when
 * concurrent requests of one session change different keys. `new` checks
 * with `get` before `set` (stores have no create-if-absent), and a save does
 * not check that the session still exists (a save racing a destroy can
 * re-create it, as with express-session itself).
 */
export class ExpressStoreProvider implements Provider, StorerBackend {
  readonly #store: ExpressStoreLike;
  readonly #timeout: number;
  readonly #cookie: Readonly<Record<string, unknown>>;
  #ttl: number | undefined;

  constructor(store: ExpressStoreLike, options: ExpressStoreProviderOptions = {}) {
    if (store === null || typeof store !== 'object' || typeof store.get !== 'function' || typeof store.set !== 'function' || typeof store.destroy !== 'function') {
      throw new InvalidConfigError('ExpressStoreProvider needs an express-session store (with get, set and destroy)');
    }
    this.#store = store;
    this.#timeout = checkTimeout(options.timeout);
    this.#ttl = options.ttl === undefined ? undefined : checkTtl(options.ttl);
    this.#cookie = { path: '/', httpOnly: true, ...(options.cookie ?? {}) };
    // A store that emits 'error' with no listener would crash the process.
    const emitter = store as unknown as { on?: (e: string, l: (...a: unknown[]) => void) => void; listenerCount?: (e: string) => number };
    if (typeof emitter.on === 'function' && typeof emitter.listenerCount === 'function' && emitter.listenerCount('error') === 0) {
      emitter.on('error', () => {});
    }
  }

  useDefaults(defaults: ProviderDefaults): void {
    if (this.#ttl === undefined) this.#ttl = checkTtl(defaults.ttl);
  }

  /** The store this provider writes to. */
  get store(): ExpressStoreLike {
    return this.#store;
  }

  async new(sid: string, initial?: Value): Promise<Storer> {
    const existing = await this.#get(sid);
    if (existing !== null && existing !== undefined) throw new DuplicateIdError('session ID already exists');
    const value = initial ?? new Value();
    await this.#set(sid, value);
    value.markSaved();
    return new ProviderStorer(this, sid, value);
  }

  async restore(sid: string, options?: RestoreOptions): Promise<Storer> {
    const record = await this.#get(sid);
    if (record === null || record === undefined) throw new SessionNotFoundError('no such session');
    const value = decode(record);
    if (options?.touch === true) await this.touch(sid);
    return new ProviderStorer(this, sid, value);
  }

  async refresh(sid: string, newSid: string): Promise<Storer> {
    const record = await this.#get(sid);
    if (record === null || record === undefined) throw new SessionNotFoundError('no such session');
    const value = decode(record);
    // The new ID holds the data before the old one is removed.
    await this.#set(newSid, value);
    await this.destroy(sid);
    value.markSaved();
    return new ProviderStorer(this, newSid, value);
  }

  async destroy(sid: string): Promise<void> {
    await callStore<void>(this.#store, 'destroy', [sid], this.#timeout);
  }

  /** @internal StorerBackend */
  async save(sid: string, value: Value): Promise<void> {
    await this.#set(sid, value);
  }

  /** @internal StorerBackend: the store's `touch` where it has one, else a rewrite of the record. */
  async touch(sid: string): Promise<void> {
    const ttl = this.#ttl ?? 0;
    if (ttl === 0) return;
    if (typeof this.#store.touch === 'function') {
      await callStore<void>(this.#store, 'touch', [sid, { cookie: this.#cookieRecord() }], this.#timeout);
      return;
    }
    const record = await this.#get(sid);
    if (record === null || record === undefined) return;
    await this.#set(sid, decode(record));
  }

  #get(sid: string): Promise<unknown> {
    return callStore<unknown>(this.#store, 'get', [sid], this.#timeout).catch((err: unknown) => {
      const cause = (err as { cause?: unknown } | null)?.cause;
      // express-session treats ENOENT as "no session" too.
      if ((cause as { code?: unknown } | null)?.code === 'ENOENT') return null;
      // The store could not decode its own record (connect-redis's JSON.parse, say): the record is bad, not the store.
      if (cause instanceof SyntaxError || cause instanceof RangeError) throw new CorruptRecordError('the session store could not decode the record', { cause });
      throw err;
    });
  }

  #set(sid: string, value: Value): Promise<void> {
    const data = value.toJSON() as Record<string, unknown>;
    if (Object.prototype.hasOwnProperty.call(data, 'cookie')) {
      return Promise.reject(new InvalidValueError('the key "cookie" is reserved in express-session records'));
    }
    const record: ExpressRecord = { cookie: this.#cookieRecord(), ...data };
    return callStore<void>(this.#store, 'set', [sid, record], this.#timeout);
  }

  /** `expires` and `maxAge` both (stores read one or the other); neither without a TTL (connect-redis deletes a record whose TTL is <= 0). */
  #cookieRecord(): ExpressRecord['cookie'] {
    const ttl = this.#ttl ?? 0;
    if (ttl === 0) return { ...this.#cookie, originalMaxAge: null };
    const ms = ttl * 1000;
    return { ...this.#cookie, originalMaxAge: ms, maxAge: ms, expires: new Date(Date.now() + ms) };
  }
}

function decode(record: unknown): Value {
  if (typeof record === 'string') {
    // A store without a serializer of its own may hand back the JSON text (the record object is one level more).
    record = parseBounded(record, 'session record', MAX_DEPTH + 1);
  }
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    throw new CorruptRecordError('session record is not an object');
  }
  const data: Record<string, unknown> = {};
  for (const key of Object.keys(record)) {
    if (key !== 'cookie') data[key] = (record as Record<string, unknown>)[key];
  }
  try {
    return new Value(data);
  } catch (cause) {
    if (cause instanceof SessionError && cause.code !== 'ERR_INVALID_VALUE' && cause.code !== 'ERR_INVALID_KEY') throw cause;
    throw new CorruptRecordError('session record holds a value that is not JSON', { cause });
  }
}
