/**
 * A verified-token cache: the exact token string of a cookie that opened
 * (full tag check, in the codec) → what it opened to. A returning client sends
 * the same token on every request until it changes, so most opens become one
 * Map lookup. Sound because an entry is only ever made from a token that
 * verified, expiry and clock checks are redone on every hit, and the cache
 * belongs to one codec (one secret list): an attacker learns at most whether a
 * token they already hold was seen, by timing.
 *
 * Bounded by two generations of plain Maps, never by deleting the oldest entry:
 * a Map that keeps losing its first entry makes `keys().next()` walk every
 * deleted slot since its last rehash (V8), which made a miss cost ~13 µs once
 * more cookies circulated than the cache held — more than the tag check it
 * saves. Here a miss is two lookups and one insert whatever the traffic: new
 * entries go to the young Map; when it holds half the bound it becomes the old
 * one (the previous old Map is dropped whole) and a fresh young Map starts. A
 * hit in the old Map is moved to the young one, so a token in use stays (an
 * LRU by halves). Nothing is ever deleted but an expired entry.
 *
 * The cache switches itself off when it does not pay. A lookup that misses
 * costs two cold Map probes (~0.6 µs measured beside a ~1.7 µs WASM tag check)
 * and an entry made and dropped unused costs its copy, insert and GC; with more
 * cookies circulating than the cache holds almost every lookup misses. So when
 * fewer than half the lookups of the last window hit, only one request in
 * SAMPLE looks in (and admits on a miss); the rest go straight to the codec,
 * which makes such a request cost what it costs with no cache. When the
 * working set fits again the sampled entries start to hit and the cache turns
 * back on.
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

/** Lookups per hit-rate window. */
const WINDOW = 1024;
/** While the cache is off, one request in this many looks in (a power of two). */
const SAMPLE = 64;

export class TokenCache {
  readonly #codec: Pick<Codec, 'openText'>;
  readonly #max: number;
  readonly #skew: number;
  /** Entries per generation: the young Map turns old at this size (both together hold at most `max`). */
  readonly #half: number;
  /** Keyed by the token's last characters (its tag: cheap to hash); the entry holds the whole token. */
  #young = new Map<string, Entry>();
  #old = new Map<string, Entry>();
  /** Lookups and hits in the current window; on: every request looks in (hit rate of the last window ≥ 1/2). */
  #lookups = 0;
  #hits = 0;
  #on = true;
  #passed = 0;

  constructor(codec: Pick<Codec, 'openText'>, options: { max?: number; clockSkewMs?: number } = {}) {
    this.#codec = codec;
    this.#max = options.max ?? TOKEN_CACHE_MAX;
    this.#half = Math.max(1, Math.floor(this.#max / 2));
    this.#skew = options.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS;
  }

  /** `codec.openText(token, options)`, answered from the cache when this exact token verified before. */
  openText(token: string, options?: OpenOptions): OpenTextResult {
    if (!this.#on && (++this.#passed & (SAMPLE - 1)) !== 0) return this.#codec.openText(token, options);
    if (++this.#lookups === WINDOW) {
      this.#on = this.#hits * 2 >= WINDOW;
      this.#lookups = 0;
      this.#hits = 0;
    }
    const key = keyOf(token);
    let entry = this.#young.get(key);
    let young = true;
    if (entry === undefined) {
      entry = this.#old.get(key);
      young = false;
    }
    if (entry !== undefined && entry.token === token) {
      const hit = entry.opened;
      // The same checks the codec makes after the tag: time moves on.
      const now = options?.now ?? Date.now();
      const maxAge = options?.maxAge;
      if (maxAge !== undefined && maxAge >= 0 && now - hit.issuedAt >= maxAge * 1000) {
        (young ? this.#young : this.#old).delete(key);
        return { ok: false, reason: 'expired' };
      }
      if (hit.issuedAt > now + this.#skew) return { ok: false, reason: 'future' };
      this.#hits++;
      // In use: into the young generation, so it outlives the old one.
      if (!young) this.#insert(key, entry);
      return hit;
    }
    const opened = this.#codec.openText(token, options);
    // A copy (JSON.parse makes a fresh string, on any runtime): the token is a slice
    // of the request's Cookie header, which the cache must not keep alive.
    if (opened.ok) this.#insert(key, { token: JSON.parse(JSON.stringify(token)) as string, opened });
    return opened;
  }

  #insert(key: string, entry: Entry): void {
    if (this.#young.size >= this.#half) {
      this.#old = this.#young;
      this.#young = new Map();
    }
    this.#young.set(key, entry);
  }

  /** Entries held (an entry moved from the old generation to the young one counts once). */
  get size(): number {
    let n = this.#young.size;
    for (const key of this.#old.keys()) if (!this.#young.has(key)) n++;
    return n;
  }

  /** Forgets every entry (the codec's keys are going away). */
  clear(): void {
    this.#young = new Map();
    this.#old = new Map();
    this.#lookups = 0;
    this.#hits = 0;
    this.#on = true;
  }
}
