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
}
