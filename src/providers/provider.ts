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
}

/**
 * A session store. See README "Writing your own provider".
 *
 * Contract:
 * - `new` is create-if-absent: it never overwrites; an existing ID rejects with `DuplicateIdError`.
 * - `restore` rejects with `SessionNotFoundError` for an unknown or expired ID, and with
 *   `CorruptRecordError` for a record it cannot decode (leaving the record as it is).
 * - `refresh` moves the data to `newSid` with no moment where neither ID holds it, then
 *   removes `sid`; `SessionNotFoundError` if `sid` is gone.
 * - `destroy` of an unknown ID is not an error.
 * - An unreachable store rejects with `StoreUnavailableError`, in bounded time.
 */
export interface Provider {
  // Quoted: a bare `new(...)` in an interface would declare a construct signature.
  'new'(sid: string, initial?: Value): Promise<Storer>;
  restore(sid: string, options?: RestoreOptions): Promise<Storer>;
  refresh(sid: string, newSid: string): Promise<Storer>;
  destroy(sid: string): Promise<void>;
  /** Optional: receives the Session's defaults (the TTL when the provider has none of its own). */
  useDefaults?(defaults: ProviderDefaults): void;
  /** Optional (cookie-carrying providers): the Session's cookie setup, once at construction. See {@link CookieCapableProvider}. */
  useCookies?(setup: CookieSetup): void;
  /** Optional (cookie-carrying providers): a view of this provider bound to one request's cookies. See {@link CookieCapableProvider}. */
  forRequest?(cookies: RequestCookies): Provider;
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
