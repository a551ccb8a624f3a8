import { hash } from 'node:crypto';
import { InvalidKeyError } from '../errors.js';

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

/** memcached's key limit, in bytes. */
export const MEMCACHE_MAX_KEY_BYTES = 250;

/**
 * Checks a memcached key: at most 250 bytes, no spaces or control characters
 * (the text protocol's rules; the binary protocol is laxer, but a key that
 * breaks them cannot be inspected with the usual tools).
 */
export function checkMemcacheKey(key: string): void {
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes === 0) throw new InvalidKeyError('memcached key is empty');
  if (bytes > MEMCACHE_MAX_KEY_BYTES) {
    throw new InvalidKeyError(`memcached key is ${bytes} bytes; the limit is ${MEMCACHE_MAX_KEY_BYTES}`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f]/.test(key)) {
    throw new InvalidKeyError('memcached key contains a space or a control character');
  }
}

/**
 * Checks a user-given prefix for memcached: the prefix plus the 64-character
 * hash must make a valid key. Run at construction so a bad prefix fails at
 * start-up, not on the first request.
 */
export function checkMemcachePrefix(prefix: string): void {
  checkMemcacheKey(prefix + '0'.repeat(64));
}
