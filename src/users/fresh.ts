/**
 * Step-up freshness ("sudo mode"): the shared part of every adapter's
 * `requireFresh(maxAge)` guard. A route that needs a recent authentication
 * (change the password, delete the account) answers 403 with the stable code
 * `ERR_REAUTH_REQUIRED` when the session's `authenticatedAt()` is older than
 * `maxAge` seconds (or not logged in), or hands the request to the app's own
 * handler (a redirect to "confirm your password", say).
 */
import { InvalidConfigError, ReauthRequiredError } from '../errors.js';

/** Options of the adapters' `requireFresh` guards; `onStale` has the adapter's own handler signature. */
export interface FreshGuardOptions<H> {
  /** Called instead of the 403 answer when the session is stale. */
  onStale?: H;
}

/** The 403 answer of a stale session: status, JSON body and headers. */
export function staleResponse(maxAge: number): { status: 403; body: string; headers: Record<string, string> } {
  const error = new ReauthRequiredError(maxAge);
  return {
    status: 403,
    body: JSON.stringify({ error: error.code, message: error.message, maxAge }),
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  };
}

export function checkMaxAge(maxAge: unknown): number {
  if (typeof maxAge !== 'number' || !Number.isFinite(maxAge) || maxAge < 0) throw new InvalidConfigError('requireFresh(maxAge): maxAge must be a number of seconds >= 0');
  return maxAge;
}
