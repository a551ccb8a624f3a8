/**
 * Error reporting shared by the store, renewal and the user features (its own
 * module: store.ts and renewal.ts both need it, and must not import each other both ways).
 */
import { StoreUnavailableError, isSessionError, type SessionError, type SessionErrorCode } from '../errors.js';
import type { SessionCore } from './core.js';
import type { SessionOperation } from './events.js';
import type { SessionRequest } from './http.js';

/** A short, log-safe prefix of a session ID. */
export function sidHint(sid: string): string {
  return sid.slice(0, 4) + '…';
}

/** The `code` of one of this library's errors; `undefined` for anything else (a foreign `ERR_*` included). */
export function errorCode(err: unknown): SessionErrorCode | undefined {
  return isSessionError(err) ? err.code : undefined;
}

/**
 * Emits a store failure as an `error` event and returns the error to throw.
 * Only SessionErrors leave the library: a custom provider's plain Error
 * becomes `StoreUnavailableError` (ERR_STORE_UNAVAILABLE), with it as `cause`.
 * @internal
 */
export function reportError(core: SessionCore, req: SessionRequest, operation: SessionOperation, err: unknown, sid: string): SessionError {
  // Only the library's own errors pass as they are: a provider's TypeError, or
  // Node's ERR_OUT_OF_RANGE, is a store failure, with the original as `cause`.
  const error = isSessionError(err)
    ? err
    : new StoreUnavailableError(`session store failed during ${operation}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  core.events.emit('error', { error, operation, req, sidHint: sidHint(sid) });
  return error;
}

/** What an UnsupportedError of the user features adds for CookieProvider. @internal */
export const COOKIE_HINT = " (CookieProvider: give it a revocation store with a user index and records, e.g. new CookieProvider({ revocation: new RedisProvider(client, { prefix: 'rev:' }) }))";
