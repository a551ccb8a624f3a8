/**
 * A verified-token cache: the exact token string of a cookie that opened
 * (full tag check, in the codec) → what it opened to. A returning client sends
 * the same token on every request until it changes, so most opens become one
 * Map lookup. Sound because an entry is only ever made from a token that
 * verified, expiry and clock checks are redone on every hit, and the cache
 * belongs to one codec (one secret list): an attacker learns at most whether a
 * token they already hold was seen, by timing. Bounded: oldest entries go first.
 */
import { DEFAULT_CLOCK_SKEW_MS } from './format.js';
import type { Codec, OpenOptions, OpenTextResult, OpenedText } from './types.js';

/** Default bound on entries (~100-character tokens: about 2 MB at the bound). */
export const TOKEN_CACHE_MAX = 10_000;

interface Entry {
  readonly token: string;
  readonly opened: OpenedText;
}

/**
 * Map key of a token: its last 12 characters (the tag's end, 72 random bits),
 * short enough that V8 copies it (no reference to the header) and hashes it
 * fast. Another token with the same ending only misses (full equality decides).
 */
function keyOf(token: string): string {
  return token.length > KEY_CHARS ? token.slice(-KEY_CHARS) : token;
}
const KEY_CHARS = 12;

export class TokenCache {
  readonly #codec: Codec;
  readonly #max: number;
  readonly #skew: number;
  /** Keyed by the token's last characters (its tag: cheap to hash); the entry holds the whole token. */
  #entries = new Map<string, Entry>();

  constructor(codec: Codec, options: { max?: number; clockSkewMs?: number } = {}) {
    this.#codec = codec;
    this.#max = options.max ?? TOKEN_CACHE_MAX;
    this.#skew = options.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS;
  }

  /** `codec.openText(token, options)`, answered from the cache when this exact token verified before. */
  openText(token: string, options?: OpenOptions): OpenTextResult {
    const key = keyOf(token);
    const entry = this.#entries.get(key);
    if (entry !== undefined && entry.token === token) {
      const hit = entry.opened;
      // The same checks the codec makes after the tag: time moves on.
      const now = options?.now ?? Date.now();
      const maxAge = options?.maxAge;
      if (maxAge !== undefined && maxAge >= 0 && now - hit.issuedAt >= maxAge * 1000) {
        this.#entries.delete(key);
        return { ok: false, reason: 'expired' };
      }
      if (hit.issuedAt > now + this.#skew) return { ok: false, reason: 'future' };
      return hit;
    }
    const opened = this.#codec.openText(token, options);
    if (opened.ok) {
      if (this.#entries.size >= this.#max) {
        // Map iteration is insertion order: drop the oldest.
        const oldest = this.#entries.keys().next();
        if (oldest.done !== true) this.#entries.delete(oldest.value);
      }
      // A copy (JSON.parse makes a fresh string, on any runtime): the token is a slice
      // of the request's Cookie header, which the cache must not keep alive.
      this.#entries.set(key, { token: JSON.parse(JSON.stringify(token)) as string, opened });
    }
    return opened;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Forgets every entry (the codec's keys are going away). */
  clear(): void {
    this.#entries = new Map();
  }
}
