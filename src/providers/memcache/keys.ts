import { InvalidKeyError } from '../../errors.js';

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
