/**
 * `CookieProvider`: sessions with no server store. The session's value
 * travels sealed in the response's cookies (split across numbered cookies
 * past one cookie's size), next to the manager's usual ID cookie; an optional
 * revocation store remembers destroyed sessions so their cookies cannot be
 * replayed.
 *
 * ```ts
 * import { Session } from 'wasm-session';
 * import { CookieProvider } from 'wasm-session/cookie';
 * const session = new Session(new CookieProvider(), { cookieSecret: process.env.SESSION_SECRET! });
 * ```
 * @module providers/cookie
 */
import { HeadersSentError, InvalidConfigError, InvalidCookieError, SessionNotFoundError, ValueTooLargeError, isSessionError } from '../../errors.js';
import { createCodec, tokenLength } from '../../crypto/index.js';
import type { BackendChoice, Codec, CodecOptions, OpenFailure } from '../../crypto/types.js';
import { Value } from '../../manager/value.js';
import { SET_TOKEN, type TokenCookies } from '../../manager/request-cookies.js';
import { valueFromRecord } from '../record.js';
import { CHUNK_HEADER, checkChunk, chunkCapacity, chunkName, encodeChunk, newSealId } from './chunks.js';
import { CookieUsers, INDEX_CODEC_LABEL, cookieRef, encodePayload, requestUsers, splitPayload } from './users.js';
import type { CookieCapableProvider, CookieSetup, MetaStorer, Provider, RecordStore, RequestCookies, RestoreOptions, SessionMeta, Storer, UserIndex } from '../provider.js';

export interface CookieProviderOptions {
  /** Base name of the value cookies: `<name>`, `<name>.1`, … Default `<cookieName>.data` (`sid.data`). */
  name?: string;
  /**
   * Most cookies one value may take (1–10). Default 3: about 8.7 KB of JSON
   * with the default attributes, a Cookie header of ~12 KB, which fits
   * Node's default 16 KiB request-header limit with room for the rest. A
   * value past it is `ValueTooLargeError` at save.
   */
  maxChunks?: number;
  /**
   * A provider that remembers destroyed (and refreshed-away) session IDs
   * until their absolute expiry, e.g. a `RedisProvider` with its own prefix.
   * Without it, a copied cookie stays valid until it expires. Each restore
   * then costs one lookup in it. A store with `records` (every bundled
   * store provider) also gives the provider the user features
   * (`session.login`, `userSessions`, `destroyUserSessions`, remember-me,
   * `maxSessions`): see docs/users.md.
   */
  revocation?: Provider;
  /**
   * Crypto backend for the value cookies. Default `auto`: the Session's
   * backend (`native` where the addon loads: fastest at every size); with
   * software AES (`wasm`, `js`), `node` (node:crypto, AES-NI) from 512 bytes
   * of plaintext, where the benchmark shows software AES falling behind.
   */
  backend?: BackendChoice;
}

/** Plaintext size from which `auto` seals with node:crypto (bench: wasm ≈ node at ~400 B, node 2–4× ahead at 1–3 KB). */
export const LARGE_VALUE_BYTES = 512;
export const DEFAULT_MAX_CHUNKS = 3;
export const MAX_CHUNKS_LIMIT = 10;
/** The derivation label: contains a space, which no cookie name may, so these keys never equal an ID or remember cookie's. */
const KEY_LABEL = 'wasm-session/cookie-value ';

/** Token length from which opening also goes to the large-value codec. */
const LARGE_TOKEN = tokenLength(LARGE_VALUE_BYTES);
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

interface Ready {
  readonly name: string;
  readonly names: readonly string[];
  readonly capacity: readonly number[];
  readonly small: Codec;
  readonly large: Codec;
  /** Seals session IDs into the user index (`null` without one). */
  readonly index: Codec | null;
  readonly cookieExpire: number;
  readonly clockSkewMs: number | undefined;
}

/**
 * The stateless provider. Use it only through a `Session` (it needs the
 * request's cookies, which the Session hands it per request).
 */
export class CookieProvider implements CookieCapableProvider {
  readonly #options: CookieProviderOptions;
  readonly #maxChunks: number;
  readonly #revocation: Provider | null;
  readonly #users: CookieUsers | null;
  #ready: Ready | null = null;
  /** The user index, in the revocation store (`undefined` without one that has `records`). */
  readonly users?: UserIndex;
  /** The revocation store's records (remember-me series, device limits, device details). */
  readonly records?: RecordStore;

  constructor(options: CookieProviderOptions = {}) {
    if (options === null || typeof options !== 'object') throw new InvalidConfigError('CookieProvider options must be an object');
    const maxChunks = options.maxChunks ?? DEFAULT_MAX_CHUNKS;
    if (!Number.isSafeInteger(maxChunks) || maxChunks < 1 || maxChunks > MAX_CHUNKS_LIMIT) {
      throw new InvalidConfigError(`CookieProvider maxChunks must be an integer from 1 to ${MAX_CHUNKS_LIMIT}`);
    }
    const rev = options.revocation;
    if (rev !== undefined && (rev === null || typeof rev !== 'object' || typeof rev.new !== 'function' || typeof rev.restore !== 'function')) {
      throw new InvalidConfigError('CookieProvider revocation must be a Provider (e.g. a RedisProvider)');
    }
    if (rev !== undefined && rev.forRequest !== undefined) throw new InvalidConfigError('CookieProvider revocation must be a store, not another cookie provider');
    this.#options = { ...options };
    this.#maxChunks = maxChunks;
    this.#revocation = rev ?? null;
    const records = rev?.records;
    if (rev !== undefined && records !== undefined && records !== null) {
      this.#users = new CookieUsers({
        revocation: rev,
        records,
        codec: () => this.#setup().index as Codec,
        lifetime: () => this.#setup().cookieExpire,
      });
      this.users = this.#users;
      this.records = records;
    } else this.#users = null;
  }

  get maxChunks(): number {
    return this.#maxChunks;
  }

  /** The largest JSON record (bytes) a value may serialize to. Known once a Session uses the provider. */
  get maxValueBytes(): number {
    const r = this.#setup();
    return r.capacity.reduce((a, b) => a + b, 0);
  }

  /** @internal Called by the Session: the idle timeout is not enforced by cookies (see docs). */
  useDefaults(): void {}

  /** @internal Called by the Session at construction. */
  useCookies(setup: CookieSetup): void {
    if (this.#ready !== null) throw new InvalidConfigError('a CookieProvider serves one Session: make one per Session');
    const name = this.#options.name ?? `${setup.cookieName}.data`;
    if (typeof name !== 'string' || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) throw new InvalidConfigError('CookieProvider name must be a cookie token');
    const names: string[] = [];
    const capacity: number[] = [];
    for (let i = 0; i <= this.#maxChunks; i++) names.push(chunkName(name, i));
    for (let i = 0; i < this.#maxChunks; i++) capacity.push(chunkCapacity(name, i, setup.attributesLength));
    if (names.includes(setup.cookieName) || names.includes(setup.rememberName)) {
      throw new InvalidConfigError(`CookieProvider name ${JSON.stringify(name)} collides with the session or remember-me cookie`);
    }
    if ((capacity[0] ?? 0) < 64) throw new InvalidConfigError('CookieProvider: the cookie attributes (Domain, Path) leave no room for a value');
    if (this.#revocation !== null && setup.cookieExpire === 0) {
      // Revocation records live until the session's absolute expiry; with none, they would have to live forever.
      throw new InvalidConfigError('CookieProvider revocation needs a cookieExpire (an absolute session lifetime) > 0');
    }
    const codecName = KEY_LABEL + name;
    const base = { secrets: setup.secrets, name: codecName, ...(setup.clockSkewMs === undefined ? {} : { clockSkewMs: setup.clockSkewMs }) };
    const choice = this.#options.backend ?? 'auto';
    const small = createCodec({ ...base, backend: choice === 'auto' ? setup.backend : choice });
    // Native (AES-NI in the addon) is fastest at every size; software AES (wasm, js) loses to node:crypto on big values.
    const large = choice === 'auto' && small.backend !== 'node' && small.backend !== 'native' ? nodeCodecOr(small, base) : small;
    this.#revocation?.useDefaults?.({ ttl: setup.cookieExpire, lifetime: setup.cookieExpire });
    const index = this.#users === null ? null : createCodec({ ...base, name: INDEX_CODEC_LABEL, backend: small.backend });
    this.#ready = { name, names, capacity, small, large, index, cookieExpire: setup.cookieExpire, clockSkewMs: setup.clockSkewMs };
  }

  /** @internal Called by the Session once per request. */
  forRequest(cookies: RequestCookies): Provider {
    return new RequestCookieProvider(this.#setup(), this.#maxChunks, this.#revocation, this.#users, cookies);
  }

  /** Releases the codecs' key material. */
  dispose(): void {
    const r = this.#ready;
    if (r === null) return;
    r.small.dispose();
    if (r.large !== r.small) r.large.dispose();
    r.index?.dispose();
  }

  new(): Promise<Storer> {
    return Promise.reject(unbound());
  }

  restore(): Promise<Storer> {
    return Promise.reject(unbound());
  }

  refresh(): Promise<Storer> {
    return Promise.reject(unbound());
  }

  destroy(): Promise<void> {
    return Promise.reject(unbound());
  }

  #setup(): Ready {
    if (this.#ready === null) throw unbound();
    return this.#ready;
  }
}

/** node:crypto's codec for large values, or `fallback` where there is no node:crypto (Workers, browsers). */
function nodeCodecOr(fallback: Codec, base: Omit<CodecOptions, 'backend'>): Codec {
  try {
    return createCodec({ ...base, backend: 'node' });
  } catch (err) {
    if (isSessionError(err, 'ERR_BACKEND_UNAVAILABLE')) return fallback;
    throw err;
  }
}

function unbound(): InvalidConfigError {
  return new InvalidConfigError('CookieProvider works through a Session (new Session(new CookieProvider(), config)): it needs the request\'s cookies');
}

/** One session as the cookie provider hands it out. */
class CookieStorer implements MetaStorer {
  readonly sid: string;
  value: Value;
  readonly createdAt: number;
  /** The user binding, sealed in the value cookies with the data. */
  readonly metadata: SessionMeta | null;
  readonly #owner: RequestCookieProvider;

  constructor(owner: RequestCookieProvider, sid: string, value: Value, createdAt: number, meta: SessionMeta | null) {
    this.#owner = owner;
    this.sid = sid;
    this.value = value;
    this.createdAt = createdAt;
    this.metadata = meta;
  }

  meta(): SessionMeta | null {
    return this.metadata;
  }

  alias(): null {
    return null;
  }

  sessionID(): string {
    return this.sid;
  }

  getValue(): Value {
    return this.value;
  }

  async setValue(v: Value): Promise<void> {
    this.setValueSync(v);
  }

  /** The cookies are queued on the response at once: nothing to wait for. */
  setValueSync(v: Value): boolean {
    this.#owner.write(this.sid, v, this.createdAt, this.metadata);
    this.value = v;
    v.markSaved();
    return true;
  }

  /** No store to touch: the cookies' lifetime is absolute. */
  async touch(): Promise<void> {}
}

/** The provider bound to one request's cookies. */
class RequestCookieProvider implements Provider {
  readonly #r: Ready;
  readonly #maxChunks: number;
  readonly #revocation: Provider | null;
  readonly #index: CookieUsers | null;
  readonly #cookies: RequestCookies;
  /** The storer handed out last (refresh re-seals its value under the new ID). */
  #current: CookieStorer | null = null;
  /** Chunk positions set in this response so far (a shrinking value expires the rest). */
  #setCount = 0;
  #users: UserIndex | undefined;

  constructor(ready: Ready, maxChunks: number, revocation: Provider | null, index: CookieUsers | null, cookies: RequestCookies) {
    this.#r = ready;
    this.#maxChunks = maxChunks;
    this.#revocation = revocation;
    this.#index = index;
    this.#cookies = cookies;
  }

  /** The user index with this request's cookies: `login` seals the binding into them, `logout` clears them. Made when first asked. */
  get users(): UserIndex | undefined {
    if (this.#index === null) return undefined;
    return (this.#users ??= requestUsers(this.#index, this));
  }

  /** {@link CookieRequestView}: the binding of `sid` when it is this request's session. */
  metaOf(sid: string): SessionMeta | null {
    return this.#current?.sid === sid ? this.#current.metadata : null;
  }

  /** {@link CookieRequestView}: queues `sid`'s cookies with its binding; it becomes the request's session. */
  bind(sid: string, value: Value, createdAt: number, meta: SessionMeta): MetaStorer {
    this.write(sid, value, createdAt, meta);
    return (this.#current = new CookieStorer(this, sid, value, createdAt, meta));
  }

  async new(sid: string, initial?: Value): Promise<Storer> {
    const value = initial ?? new Value();
    const createdAt = Date.now();
    this.write(sid, value, createdAt, null);
    value.markSaved();
    return (this.#current = new CookieStorer(this, sid, value, createdAt, null));
  }

  async restore(sid: string, _options?: RestoreOptions): Promise<Storer> {
    const opened = this.#open(sid);
    if (this.#revocation !== null) await this.#checkRevoked(sid);
    return this.#restored(sid, opened);
  }

  /** `restore` with nothing to ask a store: `null` (nothing done) when revocation needs the store's answer. */
  restoreSync(sid: string, _options?: RestoreOptions): Storer | null {
    if (this.#revocation !== null) return null;
    return this.#restored(sid, this.#open(sid));
  }

  #restored(sid: string, opened: Opened): CookieStorer {
    const storer = new CookieStorer(this, sid, opened.value, opened.createdAt, opened.meta);
    // Opened under an older secret: re-seal under the first (rotation completes itself).
    if (opened.rotate) this.write(sid, opened.value, opened.createdAt, opened.meta);
    return (this.#current = storer);
  }

  async refresh(sid: string, newSid: string): Promise<Storer> {
    const current = this.#current;
    if (current === null || current.sid !== sid) throw new SessionNotFoundError();
    // Revoke first: if the revocation store fails, no new cookie has been queued.
    if (this.#revocation !== null) await this.#revoke(sid);
    const createdAt = Date.now();
    this.write(newSid, current.value, createdAt, current.metadata);
    return (this.#current = new CookieStorer(this, newSid, current.value, createdAt, current.metadata));
  }

  async destroy(sid: string): Promise<void> {
    // A bound session also leaves its user's index.
    await this.end(sid, this.metaOf(sid)?.userId);
  }

  /** Clears the cookies, revokes `sid`, and removes it from `userId`'s index. */
  async end(sid: string, userId: string | undefined): Promise<void> {
    if (this.#current?.sid === sid) this.#current = null;
    // The cookies first: even if the revocation store fails, the client lets go of the session.
    const { names } = this.#r;
    for (let i = 0; i < names.length; i++) {
      const name = names[i] as string;
      if (i < this.#setCount || this.#cookies.get(name).length > 0) this.#cookies.clear(name);
    }
    this.#setCount = 0;
    if (this.#revocation !== null) await this.#revoke(sid);
    if (userId !== undefined && this.#index !== null) await this.#index.unindex(userId, [cookieRef(sid)]);
  }

  /**
   * Seals `value` for `sid` into as many chunks as it needs and queues their
   * cookies, expiring positions it no longer needs. Everything is sealed
   * before any line is queued: a value that is too large leaves the response
   * as it was.
   */
  write(sid: string, value: Value, createdAt: number, meta: SessionMeta | null): void {
    if (this.#cookies.headersSent) throw new HeadersSentError('the session changed after the response headers were sent; CookieProvider cannot store it (save before writing the response)');
    const r = this.#r;
    const bytes = encoder.encode(encodePayload(value, meta));
    const total = r.capacity.reduce((a, b) => a + b, 0);
    if (bytes.length > total) {
      throw new ValueTooLargeError(`session value is ${bytes.length} bytes of JSON; this CookieProvider carries at most ${total} (maxChunks ${this.#maxChunks})`);
    }
    const parts: Uint8Array[] = [];
    for (let at = 0, i = 0; at < bytes.length || i === 0; i++) {
      const cap = r.capacity[i] as number;
      parts.push(bytes.subarray(at, at + cap));
      at += cap;
    }
    const count = parts.length;
    const sealId = newSealId();
    const codec = bytes.length + CHUNK_HEADER >= LARGE_VALUE_BYTES ? r.large : r.small;
    const tokens = parts.map((data, i) => codec.seal(encodeChunk(i, count, sealId, sid, data), createdAt));
    const expiresAt = r.cookieExpire > 0 ? createdAt + r.cookieExpire * 1000 : undefined;
    const cookies = this.#cookies as RequestCookies & Partial<TokenCookies>;
    // The manager's cookies take a sealed token without re-checking its characters (they are base64url).
    const setToken = cookies[SET_TOKEN];
    for (let i = 0; i < count; i++) {
      if (setToken === undefined) cookies.set(r.names[i] as string, tokens[i] as string, expiresAt);
      else setToken.call(cookies, r.names[i] as string, tokens[i] as string, expiresAt);
    }
    for (let i = count; i < r.names.length; i++) {
      const name = r.names[i] as string;
      if (i < this.#setCount || this.#cookies.get(name).length > 0) this.#cookies.clear(name);
    }
    this.#setCount = count;
  }

  /** Opens the request's value cookies for `sid`; throws `InvalidCookieError` for anything but one whole, consistent seal. */
  #open(sid: string): Opened {
    const r = this.#r;
    const heads = this.#cookies.get(r.names[0] as string);
    if (heads.length === 0) throw new InvalidCookieError(r.name, 'malformed', 'the session has no value cookie');
    const options = r.cookieExpire > 0 ? { maxAge: r.cookieExpire } : {};
    let failure: InvalidCookieError['failure'] = 'malformed';
    // Duplicates (a parent-domain cookie next to a host one): the first that forms a whole seal wins.
    for (const head of heads) {
      const first = (head.length >= LARGE_TOKEN ? r.large : r.small).open(head, options);
      if (!first.ok) {
        failure = asFailure(first.reason);
        continue;
      }
      const count = checkChunk(first.value, 0, sid, null, this.#maxChunks);
      if (count < 0) continue;
      const plains: Uint8Array[] = [first.value];
      let rotate = first.keyIndex > 0;
      for (let i = 1; i < count && plains.length === i; i++) {
        for (const token of this.#cookies.get(r.names[i] as string)) {
          const o = (token.length >= LARGE_TOKEN ? r.large : r.small).open(token, options);
          if (!o.ok) {
            failure = asFailure(o.reason);
            continue;
          }
          if (o.issuedAt !== first.issuedAt || checkChunk(o.value, i, sid, first.value, this.#maxChunks) < 0) continue;
          plains.push(o.value);
          if (o.keyIndex > 0) rotate = true;
          break;
        }
      }
      if (plains.length !== count) continue;
      // A chunk past the seal's count is not ours to ignore: something mixed cookies.
      let extra = false;
      for (let i = count; i < r.names.length; i++) if (this.#cookies.get(r.names[i] as string).length > 0) extra = true;
      if (extra) {
        failure = 'malformed';
        continue;
      }
      return { ...decodeValue(plains, r.name), createdAt: first.issuedAt, rotate };
    }
    throw new InvalidCookieError(r.name, failure, 'the session\'s value cookies do not open as one seal of this session');
  }

  async #checkRevoked(sid: string): Promise<void> {
    try {
      await (this.#revocation as Provider).restore(sid);
    } catch (err) {
      if (isSessionError(err) && err.code === 'ERR_SESSION_NOT_FOUND') return;
      throw err;
    }
    throw new SessionNotFoundError('session was revoked');
  }

  async #revoke(sid: string): Promise<void> {
    try {
      await (this.#revocation as Provider).new(sid, new Value({ revoked: Date.now() }));
    } catch (err) {
      if (isSessionError(err, 'ERR_DUPLICATE_ID')) return;
      throw err;
    }
  }
}

function asFailure(reason: OpenFailure): InvalidCookieError['failure'] {
  return reason === 'expired' ? 'malformed' : reason;
}

interface Opened {
  value: Value;
  meta: SessionMeta | null;
  createdAt: number;
  rotate: boolean;
}

function decodeValue(plains: readonly Uint8Array[], name: string): { value: Value; meta: SessionMeta | null } {
  // One chunk (values up to ~2.9 KB): decode in place, no joined copy.
  if (plains.length === 1) return parsePayload((plains[0] as Uint8Array).subarray(CHUNK_HEADER), name);
  let length = 0;
  for (const p of plains) length += p.length - CHUNK_HEADER;
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const p of plains) {
    bytes.set(p.subarray(CHUNK_HEADER), at);
    at += p.length - CHUNK_HEADER;
  }
  return parsePayload(bytes, name);
}

function parsePayload(bytes: Uint8Array, name: string): { value: Value; meta: SessionMeta | null } {
  const { meta, json } = splitPayload(bytes, decoder);
  return { value: parseRecord(json, name), meta };
}

function parseRecord(bytes: Uint8Array, name: string): Value {
  // Authenticated, so only a bug (or a secret shared with another program) gets a record that does not
  // parse: corrupt, like an unreadable store record (not JSON, or nested deeper than a Value can be).
  return valueFromRecord(decoder.decode(bytes), `the session's value cookies (${name})`);
}
