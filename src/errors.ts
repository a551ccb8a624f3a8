/**
 * Typed errors. Every error this library throws or emits is a `SessionError`
 * with a stable `code` string, so apps can branch on `err.code` instead of
 * parsing messages (the fastify/undici convention).
 */

/** Stable error codes. New codes may be added; existing ones never change meaning. */
export type SessionErrorCode =
  | 'ERR_EMPTY_SECRET'
  | 'ERR_WEAK_SECRET'
  | 'ERR_INVALID_CONFIG'
  | 'ERR_BACKEND_UNAVAILABLE'
  | 'ERR_TOKEN_TOO_LARGE'
  | 'ERR_INVALID_VALUE'
  | 'ERR_DUPLICATE_KEY'
  | 'ERR_SESSION_NOT_FOUND'
  | 'ERR_DUPLICATE_ID'
  | 'ERR_STORE_UNAVAILABLE'
  | 'ERR_CORRUPT_RECORD'
  | 'ERR_VALUE_TOO_LARGE'
  | 'ERR_INVALID_KEY'
  | 'ERR_HEADERS_SENT'
  | 'ERR_INVALID_COOKIE'
  | 'ERR_UNSUPPORTED'
  | 'ERR_SESSION_MOVED'
  | 'ERR_SESSION_LIMIT'
  | 'ERR_INVALID_HANDLE'
  | 'ERR_REAUTH_REQUIRED'
  | 'ERR_CSRF_REJECTED';

/**
 * Marks this library's errors, across copies of the package in one process
 * (two versions in node_modules): `instanceof` would miss the other copy's.
 */
const BRAND = Symbol.for('wasm-session.SessionError');

export class SessionError<C extends SessionErrorCode = SessionErrorCode> extends Error {
  /** Stable: branch on it (or use {@link isSessionError} with a code, which narrows). */
  readonly code: C;
  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  /** @internal The cross-copy brand (see {@link isSessionError}). */
  get [BRAND](): true {
    return true;
  }
}

/** No secret, or an empty list of secrets, was given. */
export class EmptySecretError extends SessionError<'ERR_EMPTY_SECRET'> {
  constructor(message = 'a cookie secret is required') {
    super('ERR_EMPTY_SECRET', message);
  }
}

/** A secret is too short to derive keys from safely (fewer than 32 characters). */
export class WeakSecretError extends SessionError<'ERR_WEAK_SECRET'> {
  constructor(message: string) {
    super('ERR_WEAK_SECRET', message);
  }
}

/** A configuration option has a wrong type or an out-of-range value. */
export class InvalidConfigError extends SessionError<'ERR_INVALID_CONFIG'> {
  constructor(message: string) {
    super('ERR_INVALID_CONFIG', message);
  }
}

/** The requested crypto backend cannot run here (e.g. `wasm` without WebAssembly). */
export class BackendUnavailableError extends SessionError<'ERR_BACKEND_UNAVAILABLE'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_BACKEND_UNAVAILABLE', message, options);
  }
}

/** Sealing this value would give a cookie longer than browsers keep (4096 chars). */
export class TokenTooLargeError extends SessionError<'ERR_TOKEN_TOO_LARGE'> {
  constructor(message: string) {
    super('ERR_TOKEN_TOO_LARGE', message);
  }
}

/** A session value cannot be represented faithfully as JSON (BigInt, cycle, function...). */
export class InvalidValueError extends SessionError<'ERR_INVALID_VALUE'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_INVALID_VALUE', message, options);
  }
}

/** `Value.add` of a key that already exists. */
export class DuplicateKeyError extends SessionError<'ERR_DUPLICATE_KEY'> {
  constructor(key: string) {
    super('ERR_DUPLICATE_KEY', `session value already has key ${JSON.stringify(key)}`);
  }
}

/** The provider holds no session under this ID. */
export class SessionNotFoundError extends SessionError<'ERR_SESSION_NOT_FOUND'> {
  constructor(message = 'session not found') {
    super('ERR_SESSION_NOT_FOUND', message);
  }
}

/** `Provider.new` was asked to create an ID that already exists (create-if-absent). */
export class DuplicateIdError extends SessionError<'ERR_DUPLICATE_ID'> {
  constructor(message = 'session id already exists') {
    super('ERR_DUPLICATE_ID', message);
  }
}

/**
 * The session store could not be reached, or did not answer in time: answer
 * 503. `status` and `statusCode` say so to the frameworks' error handlers
 * (Express, Fastify, Koa read one or the other), so a restore or a save that
 * hit an outage gets the same typed 503 everywhere.
 */
export class StoreUnavailableError extends SessionError<'ERR_STORE_UNAVAILABLE'> {
  /** The HTTP status for this error (the frameworks' error handlers read it). */
  readonly status = 503;
  /** The same, under the name Fastify reads. */
  readonly statusCode = 503;
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_STORE_UNAVAILABLE', message, options);
  }
}

/** A stored session record could not be decoded. The record is left as it is. */
export class CorruptRecordError extends SessionError<'ERR_CORRUPT_RECORD'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_CORRUPT_RECORD', message, options);
  }
}

/** A session record is larger than the store accepts (e.g. memcached's item size). */
export class ValueTooLargeError extends SessionError<'ERR_VALUE_TOO_LARGE'> {
  constructor(message: string) {
    super('ERR_VALUE_TOO_LARGE', message);
  }
}

/** A store key breaks the store's rules (e.g. memcached: > 250 bytes, spaces, control chars). */
export class InvalidKeyError extends SessionError<'ERR_INVALID_KEY'> {
  constructor(message: string) {
    super('ERR_INVALID_KEY', message);
  }
}

/** A cookie had to be set after the response headers were already sent. */
export class HeadersSentError extends SessionError<'ERR_HEADERS_SENT'> {
  constructor(message = 'cannot set the session cookie: headers already sent') {
    super('ERR_HEADERS_SENT', message);
  }
}

/** Each code's error class: what {@link isSessionError} narrows to. */
export interface SessionErrorByCode {
  ERR_EMPTY_SECRET: EmptySecretError;
  ERR_WEAK_SECRET: WeakSecretError;
  ERR_INVALID_CONFIG: InvalidConfigError;
  ERR_BACKEND_UNAVAILABLE: BackendUnavailableError;
  ERR_TOKEN_TOO_LARGE: TokenTooLargeError;
  ERR_INVALID_VALUE: InvalidValueError;
  ERR_DUPLICATE_KEY: DuplicateKeyError;
  ERR_SESSION_NOT_FOUND: SessionNotFoundError;
  ERR_DUPLICATE_ID: DuplicateIdError;
  ERR_STORE_UNAVAILABLE: StoreUnavailableError;
  ERR_CORRUPT_RECORD: CorruptRecordError;
  ERR_VALUE_TOO_LARGE: ValueTooLargeError;
  ERR_INVALID_KEY: InvalidKeyError;
  ERR_HEADERS_SENT: HeadersSentError;
  ERR_INVALID_COOKIE: InvalidCookieError;
  ERR_UNSUPPORTED: UnsupportedError;
  ERR_SESSION_MOVED: SessionMovedError;
  ERR_SESSION_LIMIT: SessionLimitError;
  ERR_INVALID_HANDLE: InvalidHandleError;
  ERR_REAUTH_REQUIRED: ReauthRequiredError;
  ERR_CSRF_REJECTED: CsrfRejectedError;
}

/**
 * True for an error thrown by this library, from any copy of the package in
 * the process (two versions in node_modules: `instanceof` would miss the other
 * copy's classes). With `code`, also checks the code and narrows to its class:
 *
 * ```ts
 * import { isSessionError } from 'wasm-session';
 *
 * function status(err: unknown): number {
 *   if (isSessionError(err, 'ERR_STORE_UNAVAILABLE')) return 503; // err: StoreUnavailableError here
 *   return isSessionError(err) ? 400 : 500;
 * }
 * ```
 * A foreign error whose `code` merely starts with `ERR_` (Node's own, a client library's) is not one.
 */
export function isSessionError(err: unknown): err is SessionError;
export function isSessionError<C extends SessionErrorCode>(err: unknown, code: C): err is SessionErrorByCode[C];
export function isSessionError(err: unknown, code?: SessionErrorCode): boolean {
  const ours =
    err instanceof SessionError ||
    (typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[BRAND] === true && typeof (err as { code?: unknown }).code === 'string');
  return ours && (code === undefined || (err as SessionError).code === code);
}

/**
 * A cookie-carrying provider (`CookieProvider`) found the request's session
 * cookies unusable: a chunk missing, extra, tampered with, or bound to
 * another session. The manager answers it with a fresh session
 * (`reason: 'invalid'`) and an `invalid` event; it never reaches the app.
 */
export class InvalidCookieError extends SessionError<'ERR_INVALID_COOKIE'> {
  /** The cookie that failed. */
  readonly cookieName: string;
  /** Why, in the codec's terms (`bad-tag`, `malformed`, ...). */
  readonly failure: 'malformed' | 'unsupported-version' | 'unknown-key' | 'bad-tag' | 'future';
  constructor(cookieName: string, failure: InvalidCookieError['failure'], message: string) {
    super('ERR_INVALID_COOKIE', message);
    this.cookieName = cookieName;
    this.failure = failure;
  }
}

/** The provider lacks an optional capability (e.g. `session.login` on a provider without a user index). */
export class UnsupportedError extends SessionError<'ERR_UNSUPPORTED'> {
  constructor(message: string) {
    super('ERR_UNSUPPORTED', message);
  }
}

/**
 * A save reached a session ID that was renewed meanwhile: `alias` (opaque,
 * from the manager) names the new ID. The manager redirects the save; apps
 * never see it.
 */
export class SessionMovedError extends SessionError<'ERR_SESSION_MOVED'> {
  readonly alias: string;
  constructor(alias: string) {
    super('ERR_SESSION_MOVED', 'session ID was renewed; the save goes to the new ID');
    this.alias = alias;
  }
}

/** A login refused by `maxSessions` with `policy: 'refuse'`: the user has `limit` live sessions already. */
export class SessionLimitError extends SessionError<'ERR_SESSION_LIMIT'> {
  readonly limit: number;
  constructor(limit: number) {
    super('ERR_SESSION_LIMIT', `this user already has the maximum of ${limit} session${limit === 1 ? '' : 's'}`);
    this.limit = limit;
  }
}

/** A session handle (`userSessions()[i].handle`) that does not open, or belongs to another user or app. */
export class InvalidHandleError extends SessionError<'ERR_INVALID_HANDLE'> {
  constructor(message = 'not a session handle of this user') {
    super('ERR_INVALID_HANDLE', message);
  }
}

/** The session's authentication is older than a route allows (`requireFresh`): re-authenticate, then `session.reauthenticated`. */
export class ReauthRequiredError extends SessionError<'ERR_REAUTH_REQUIRED'> {
  /** The freshness the route asked for, in seconds. */
  readonly maxAge: number;
  constructor(maxAge: number) {
    super('ERR_REAUTH_REQUIRED', `this action needs an authentication at most ${maxAge} seconds old`);
    this.maxAge = maxAge;
  }
}

/** Why the cross-site request guard (`wasm-session/csrf`) refused a request. */
export type CsrfReason = 'cross-site' | 'same-site' | 'cross-origin' | 'no-token' | 'bad-token';

/** An unsafe request the cross-site request guard refused (answered 403). `reason` says which check. */
export class CsrfRejectedError extends SessionError<'ERR_CSRF_REJECTED'> {
  readonly reason: CsrfReason;
  /** The HTTP status the guard answers with. */
  readonly status = 403;
  constructor(reason: CsrfReason) {
    super('ERR_CSRF_REJECTED', `cross-site request refused: ${reason}`);
    this.reason = reason;
  }
}
