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
  const guarded = op.catch((err: unknown) => {
    throw err instanceof SessionError ? err : mapError(err);
  });
  // setTimeout cannot wait longer than 2^31-1 ms (it would fire at once): treat that as no bound.
  if (!(ms > 0) || ms > 0x7fffffff) return guarded;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new StoreUnavailableError(`session store did not answer ${what} within ${ms} ms`)),
      ms,
    );
    // An outstanding deadline must not keep the process alive on its own.
    timer.unref();
  });
  // Swallow the loser's outcome: the race already reported the winner.
  guarded.catch(() => {});
  return Promise.race([guarded, expired]).finally(() => clearTimeout(timer));
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
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 0) {
    throw new InvalidConfigError(`ttl must be a whole number of seconds >= 0, got ${String(ttl)}`);
  }
  return ttl;
}
