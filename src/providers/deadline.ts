import { InvalidConfigError, SessionError, StoreUnavailableError } from '../errors.js';

/** Default bound on one store operation, in milliseconds. */
export const DEFAULT_TIMEOUT_MS = 2000;

/**
 * Settles with `op`, or rejects with `StoreUnavailableError` after `ms`.
 *
 * The client may still answer (or fail) after the deadline: a catch handler
 * stays attached to `op` so that late rejection is never unhandled. Errors
 * that are not already a `SessionError` go through `mapError`.
 */
export function withDeadline<T>(
  op: Promise<T>,
  ms: number,
  what: string,
  mapError: (err: unknown) => SessionError,
): Promise<T> {
  const map = (err: unknown): SessionError => (err instanceof SessionError ? err : mapError(err));
  // setTimeout cannot wait longer than 2^31-1 ms (it would fire at once): treat that as no bound.
  if (!(ms > 0) || ms > 0x7fffffff) {
    return op.catch((err: unknown) => {
      throw map(err);
    });
  }
  // One promise and one timer, no Promise.race: this runs on every store call.
  // Whichever settles second is ignored, so a late rejection is never unhandled.
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new StoreUnavailableError(`session store did not answer ${what} within ${ms} ms`)), ms);
    // An outstanding deadline must not keep the process alive on its own.
    timer.unref();
    op.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(map(err));
      },
    );
  });
}

/** Validates a `timeout` option (ms; 0, Infinity or anything above 2^31-1 = no bound). */
export function checkTimeout(ms: number | undefined): number {
  if (ms === undefined) return DEFAULT_TIMEOUT_MS;
  if (typeof ms !== 'number' || Number.isNaN(ms) || ms < 0) {
    throw new InvalidConfigError(`timeout must be a number of milliseconds >= 0, got ${String(ms)}`);
  }
  return ms;
}

/** Validates a `ttl` option (seconds, integer >= 0; 0 = no expiry). */
export function checkTtl(ttl: number): number {
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 0 || ttl > MAX_TTL) {
    throw new InvalidConfigError(`ttl must be a whole number of seconds from 0 to ${MAX_TTL}, got ${String(ttl)}`);
  }
  return ttl;
}

/** The longest TTL any bundled provider takes (2^31-1 s, as Session's sessionExpire). */
export const MAX_TTL = 0x7fffffff;
