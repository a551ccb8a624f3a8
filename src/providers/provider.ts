import type { BackendChoice } from '../crypto/types.js';
import type { DefaultSessionData, Value } from '../manager/value.js';

/**
 * One session in a store, as a provider hands it out.
 *
 * Implement this with `Provider` to plug in any store: the manager uses
 * nothing else. Methods that reach the store are async and reject with a
 * `SessionError` (`ERR_STORE_UNAVAILABLE`, `ERR_CORRUPT_RECORD`, ...).
 */
export interface Storer<D extends object = DefaultSessionData> {
  /** The session ID (never logged by the library; treat it as a secret). */
  sessionID(): string;
  /** The data as loaded (or as last set). Sync: loading happened in `restore`/`new`. */
  getValue(): Value<D>;
  /**
   * Replaces the data and persists it. Providers that can write only what
   * changed read `v.changes()`; after a successful write call `v.markSaved()`.
   */
  setValue(v: Value<D>): Promise<void>;
  /**
   * Optional: `setValue` finished before returning, for a store in this
   * process. Returns `false` when it cannot (nothing was written: the manager
   * then calls `setValue`); throws what `setValue` would reject with.
   */
  setValueSync?(v: Value<D>): boolean;
  /** Slides the idle timeout (the store's TTL) forward. */
  touch(): Promise<void>;
}

export interface RestoreOptions {
  /** Also slide the TTL forward, in the same round trip where the store allows. */
  touch?: boolean;
}

/** What the Session tells its provider at construction. */
export interface ProviderDefaults {
  /** The idle timeout in seconds (the Session's `sessionExpire`); 0 = no TTL. */
  ttl: number;
  /** The longest a session lives in seconds (the Session's `cookieExpire`); 0 = no limit. What a user index's TTL is. */
  lifetime?: number;
  /** The Session's `touchAfter` (seconds), when it set one: slide the TTL at most this often. */
  touchAfter?: number;
}

/**
 * A session store. See README "Writing your own provider".
 *
 * Contract:
 * - `new` is create-if-absent: it never overwrites; an existing ID rejects with `DuplicateIdError`.
 * - `restore` rejects with `SessionNotFoundError` for an unknown or expired ID, and with
 *   `CorruptRecordError` for a record it cannot decode (leaving the record as it is).
 * - `refresh` moves the data to `newSid` with no moment where neither ID holds it, then
 *   removes `sid`; `SessionNotFoundError` if `sid` is gone. Of concurrent refreshes (or
 *   logins) of one `sid` exactly one wins; the others reject with `SessionNotFoundError`
 *   and leave no copy behind.
 * - `destroy` of an unknown ID is not an error.
 * - An unreachable store rejects with `StoreUnavailableError`, in bounded time.
 */
export interface Provider {
  // Quoted: a bare `new(...)` in an interface would declare a construct signature.
  'new'(sid: string, initial?: Value): Promise<Storer>;
  restore(sid: string, options?: RestoreOptions): Promise<Storer>;
  /**
   * Optional: `restore`, done before returning, for a store in this process
   * (MemoryProvider): a returning request then waits on no promise. Throws
   * what `restore` would reject with; returns `null` when it cannot answer
   * synchronously this time (nothing was done: the manager calls `restore`).
   */
  restoreSync?(sid: string, options?: RestoreOptions): Storer | null;
  refresh(sid: string, newSid: string): Promise<Storer>;
  destroy(sid: string): Promise<void>;
  /** Optional: receives the Session's defaults (the TTL when the provider has none of its own). */
  useDefaults?(defaults: ProviderDefaults): void;
  /** Optional (cookie-carrying providers): the Session's cookie setup, once at construction. See {@link CookieCapableProvider}. */
  useCookies?(setup: CookieSetup): void;
  /** Optional (cookie-carrying providers): a view of this provider bound to one request's cookies. See {@link CookieCapableProvider}. */
  forRequest?(cookies: RequestCookies): Provider;
  /** Optional: user binding and per-user index (`session.login` and friends). See {@link UserIndex}. */
  readonly users?: UserIndex;
  /** Optional: small compare-and-set records (remember-me series, device limits). See {@link RecordStore}. */
  readonly records?: RecordStore;
  /** Optional: ID renewal with a grace window (`renewAfter`). See {@link RenewingProvider}. */
  renew?(sid: string, newSid: string, options: RenewOptions): Promise<MetaStorer | { alias: string } | null>;
  /**
   * Optional (with `renew`): a Storer for the existing session `sid` holding `value`, whose pending
   * changes a save writes as changes (a save redirected from a renewed ID).
   */
  attach?(sid: string, value: Value): Storer;
}

/**
 * What the Session tells a cookie-carrying provider at construction
 * (`Provider.useCookies`): the secrets and cookie settings it derives its own
 * keys and cookie lifetimes from. Only providers that implement `useCookies`
 * get it.
 */
export interface CookieSetup {
  /** The Session's `cookieSecret` list (first seals, all open). Derive keys of your own from it; never log it. */
  readonly secrets: readonly string[];
  /** The session (ID) cookie's name. */
  readonly cookieName: string;
  /** The remember-me cookie's name. */
  readonly rememberName: string;
  /** Absolute session lifetime in seconds (0 = browser-session cookies, no absolute limit). */
  readonly cookieExpire: number;
  /** The Session's crypto backend choice. */
  readonly backend: BackendChoice;
  readonly clockSkewMs: number | undefined;
  /**
   * Characters a Set-Cookie line adds to `name=value` with the Session's
   * attributes (Path, Domain, Max-Age, Expires, HttpOnly, Secure, SameSite),
   * at their longest: `name.length + 1 + value.length + attributesLength`
   * bounds the whole line.
   */
  readonly attributesLength: number;
}

/**
 * One request's cookies, as the manager hands them to `Provider.forRequest`:
 * read the request's `Cookie` header, queue `Set-Cookie` lines on the
 * response through the manager (so they are merged with the app's, dropped
 * from a failed response, and reach every adapter).
 */
export interface RequestCookies {
  /** Every value of cookie `name` on the request, in order (duplicates included). */
  get(name: string): readonly string[];
  /**
   * Sets cookie `name` with the Session's attributes, expiring at `expiresAt`
   * (ms since epoch; `undefined` = a browser-session cookie). Replaces a line
   * set for `name` earlier in this response. Throws `HeadersSentError` once
   * the headers are out (the value would be lost).
   */
  set(name: string, value: string, expiresAt: number | undefined): void;
  /** Expires cookie `name` on the client (a no-op once the headers are out). */
  clear(name: string): void;
  /** True once the response headers are out. */
  readonly headersSent: boolean;
}

/**
 * Optional capabilities of a provider that keeps sessions in cookies rather
 * than (only) in a store, such as `CookieProvider`. The manager calls
 * `useCookies` once at construction and `forRequest` once per request, and
 * then uses the returned provider for that request's `new`, `restore`,
 * `refresh` and `destroy`.
 */
export interface CookieCapableProvider extends Provider {
  useCookies(setup: CookieSetup): void;
  forRequest(cookies: RequestCookies): Provider;
}


/**
 * What the manager keeps in a session's record beside its Value (in the same
 * record, so a returning request reads it in the same round trip): the user
 * binding of `session.login`, and when the current ID was issued (renewal).
 */
export interface SessionMeta {
  /** The bound user (`session.login`). */
  readonly userId?: string;
  /** The app's label for listings (a device name); never parsed. */
  readonly label?: string;
  /** When the session got its user (ms since epoch). */
  readonly loginAt?: number;
  /** When the current ID was issued (ms since epoch); absent = when the cookie was first sealed. */
  readonly idAt?: number;
  /** When the user last proved who they are (login or `reauthenticated`), ms; absent = `loginAt`. A remember-me resume keeps the series' time. */
  readonly authAt?: number;
  /** The remember-me series this session belongs to (`login(..., { remember: true })` or a resume). */
  readonly series?: string;
}

/** A record of a {@link RecordStore} and its version (opaque: pass it back to `put`). */
export interface VersionedRecord {
  readonly text: string;
  readonly version: string;
}

/**
 * Optional provider capability behind server-side remember-me tokens, the
 * device limit (`maxSessions`), device details and eviction tombstones: small
 * text records (a few KiB), one per name, written with compare-and-set so
 * concurrent app servers never lose each other's change. Store each under a
 * key derived from a hash of `name` (names carry user IDs).
 */
export interface RecordStore {
  /** The record `name` and its version, or `null` (never written, or expired). */
  get(name: string): Promise<VersionedRecord | null>;
  /**
   * Writes `text` under `name` if the record is still at `version` (`null`:
   * only if there is none), living `ttl` seconds (0 = no expiry). Resolves
   * `false` when another writer got there first (nothing written: read again).
   */
  put(name: string, text: string, version: string | null, ttl: number): Promise<boolean>;
}

/** A Storer of a provider with {@link UserIndex} support: it also hands out the record's metadata. */
export interface MetaStorer extends Storer {
  /** The record's metadata, or `null` (a session that never logged in or renewed). */
  meta(): SessionMeta | null;
  /**
   * Set when the record is a renewal alias: the opaque string the manager gave to
   * `renew` (it names the new ID). The Value is then the data as of the renewal.
   */
  alias?(): string | null;
}

/** One indexed session of a user, as a provider lists it (live sessions only). */
export interface IndexedSession {
  /** The provider's reference to the session (its store key hash): never a usable session ID. */
  readonly ref: string;
  /** The first characters of the session ID (as in log events). */
  readonly sidHint: string;
  readonly loginAt: number;
  readonly label: string | null;
  /** When the session was last restored or saved (ms), where the store can tell; else `null`. */
  readonly lastSeenAt: number | null;
}

/** Options the manager passes with index operations. */
export interface IndexOptions {
  /** TTL of the user's index in seconds (the Session's `cookieExpire`, the longest a session lives); 0 = none. */
  readonly indexTtl: number;
  /**
   * `login` of a stored session: what the old ID's record holds for `grace`
   * seconds once the move is won (opaque to the provider: it names the new
   * ID). A concurrent `login` of the same old ID by the same user then
   * rejects with `SessionMovedError(alias)` and joins the winner; anything
   * else finds the old ID gone.
   */
  readonly alias?: string;
  readonly grace?: number;
}

/**
 * Optional provider capability behind `session.login`, `logout`, `userSessions`
 * and `destroyUserSessions`. A provider without it still works for everything
 * else; those methods then reject with `UnsupportedError` (`ERR_UNSUPPORTED`).
 *
 * The binding lives in the session record (read by `restore` in the same
 * round trip); the per-user index is touched only by these methods. A
 * cookie-carrying provider whose record is the request's cookies
 * (`CookieProvider`) also offers `users` on its per-request view
 * (`forRequest`): the manager logs in and out through that one.
 */
export interface UserIndex {
  /** The reference `list` gives for `sid` (to tell the current session). */
  ref(sid: string): string;
  /**
   * Binds a session to `meta.userId` under a new ID: moves `sid`'s record to
   * `newSid` (as `refresh`) with `meta`, or, with `sid` null, creates `newSid`
   * from `value`; then indexes `newSid` under the user. `SessionNotFoundError`
   * if `sid` is gone, `DuplicateIdError` if `newSid` exists. A move exactly one
   * of concurrent calls wins: a loser leaves no copy and rejects with
   * `SessionMovedError(options.alias)` when the winner bound the same user
   * (see `IndexOptions.alias`), else with `SessionNotFoundError`.
   */
  login(sid: string | null, newSid: string, value: Value, meta: SessionMeta, options: IndexOptions): Promise<MetaStorer>;
  /** Destroys `sid` and removes it from `userId`'s index. */
  logout(sid: string, userId: string): Promise<void>;
  /** The user's live sessions; entries of sessions gone from the store are pruned. */
  list(userId: string, options: IndexOptions): Promise<IndexedSession[]>;
  /**
   * Destroys the given sessions of `userId` (refs from `list`) and removes them
   * from the index; resolves with how many existed. From then on none restores,
   * and a save racing with it cannot write one back.
   */
  destroy(userId: string, refs: readonly string[]): Promise<number>;
  /**
   * Optional: whether `sid` was destroyed by `destroy` recently (a tombstone
   * beside the session key, kept for the idle timeout). Asked only when a
   * restore found nothing, so `start` can say `reason: 'revoked'`.
   */
  revoked?(sid: string): Promise<boolean>;
}

/** Options of {@link RenewingProvider.renew}. */
export interface RenewOptions {
  /** What the old ID's record holds until the grace ends (opaque to the provider: it names the new ID). */
  readonly alias: string;
  /** Seconds the alias lives. */
  readonly grace: number;
  /** The new record's metadata (the old one's, with a new `idAt`). */
  readonly meta: SessionMeta;
  /** The data as this request restored it (the copy for the new ID). */
  readonly value: Value;
  readonly indexTtl: number;
}

/** Optional provider capability behind `renewAfter`: ID renewal with a grace window. */
export interface RenewingProvider {
  /**
   * Copies `sid`'s record to `newSid` with `options.meta`, then turns `sid`
   * into an alias (`options.alias`, TTL `options.grace`) and applies to
   * `newSid` whatever concurrent saves wrote to `sid` meanwhile; re-indexes
   * the session when it has a user. Resolves with the new Storer, or with
   * `{ alias }` when `sid` already was an alias (another request renewed it),
   * or `null` when `sid` is gone.
   */
  renew(sid: string, newSid: string, options: RenewOptions): Promise<MetaStorer | { alias: string } | null>;
}
