import { hash } from 'node:crypto';

/** The default store-key prefix of the Redis and Memcache providers. */
export const DEFAULT_PREFIX = 'sess:';

/**
 * The store key for a session: `prefix` + hex SHA-256 of the ID.
 *
 * Hashing (as scs's HashTokenInStore and Rack do) means a leaked key listing,
 * dump or slow log yields no usable session ID: the cookie holds the ID, the
 * store only its hash. Always 64 hex characters after the prefix.
 */
export function storeKey(prefix: string, sid: string): string {
  // One-shot hash: a createHash object per call cost ~3x as much (on every request).
  return prefix + hash('sha256', sid, 'hex');
}
