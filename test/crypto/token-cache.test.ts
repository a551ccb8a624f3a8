import { describe, expect, it } from 'vitest';
import { createCodec } from '../../src/crypto/index.js';
import { TokenCache } from '../../src/crypto/token-cache.js';
import type { Codec } from '../../src/crypto/types.js';

const SECRET = 'token-cache-secret-0123456789-abcdefghij';

/** A codec that counts the opens that reach it. */
function counting(): { codec: Codec; calls: () => number } {
  const inner = createCodec({ secrets: SECRET, name: 'sid', backend: 'js' });
  let n = 0;
  const codec: Codec = {
    backend: inner.backend,
    name: inner.name,
    seal: (v, at) => inner.seal(v, at),
    open: (t, o) => inner.open(t, o),
    openText: (t, o) => (n++, inner.openText(t, o)),
    newSessionId: () => inner.newSessionId(),
    dispose: () => inner.dispose(),
  };
  return { codec, calls: () => n };
}

describe('TokenCache', () => {
  it('answers a token that verified from the cache, with the same result', () => {
    const { codec, calls } = counting();
    const cache = new TokenCache(codec);
    const token = codec.seal('abc', 1_000);
    const first = cache.openText(token, { now: 2_000 });
    expect(first).toEqual({ ok: true, value: 'abc', issuedAt: 1_000, keyIndex: 0 });
    expect(cache.openText(token, { now: 3_000 })).toEqual(first);
    expect(calls()).toBe(1);
  });

  it('never caches a token that failed: a tampered one fails every time, in the codec', () => {
    const { codec, calls } = counting();
    const cache = new TokenCache(codec);
    const token = codec.seal('abc', 1_000);
    const bad = token.slice(0, 10) + (token[10] === 'A' ? 'B' : 'A') + token.slice(11);
    for (let i = 0; i < 3; i++) expect(cache.openText(bad, { now: 2_000 }).ok).toBe(false);
    expect(calls()).toBe(3);
    expect(cache.size).toBe(0);
  });

  it('a different token with the same ending as a cached one is not answered from the cache (keyed by the ending, matched whole)', () => {
    const { codec, calls } = counting();
    const cache = new TokenCache(codec);
    const token = codec.seal('abc', 1_000);
    expect(cache.openText(token, { now: 2_000 }).ok).toBe(true);
    // Same last 12 characters, one flipped near the start: the codec sees it, and refuses it.
    const forged = token.slice(0, 5) + (token[5] === 'A' ? 'B' : 'A') + token.slice(6);
    expect(forged.slice(-12)).toBe(token.slice(-12));
    expect(cache.openText(forged, { now: 2_000 }).ok).toBe(false);
    expect(calls()).toBe(2);
    // The genuine token is still answered from the cache.
    expect(cache.openText(token, { now: 2_000 }).ok).toBe(true);
    expect(calls()).toBe(2);
  });

  it('re-checks expiry and the clock on every hit', () => {
    const { codec } = counting();
    const cache = new TokenCache(codec, { clockSkewMs: 1_000 });
    const token = codec.seal('abc', 10_000);
    expect(cache.openText(token, { now: 10_000, maxAge: 5 }).ok).toBe(true);
    expect(cache.openText(token, { now: 14_999, maxAge: 5 }).ok).toBe(true);
    expect(cache.openText(token, { now: 15_000, maxAge: 5 })).toEqual({ ok: false, reason: 'expired' });
    expect(cache.size).toBe(0);
    // Cached, then the clock goes back past the skew allowance.
    expect(cache.openText(token, { now: 10_000 }).ok).toBe(true);
    expect(cache.openText(token, { now: 8_000 })).toEqual({ ok: false, reason: 'future' });
  });

  it('is bounded (oldest first) and clear() forgets everything', () => {
    const { codec, calls } = counting();
    const cache = new TokenCache(codec, { max: 3 });
    const tokens = ['a', 'b', 'c', 'd'].map((v) => codec.seal(v, 1_000));
    for (const t of tokens) cache.openText(t, { now: 2_000 });
    expect(cache.size).toBe(3);
    cache.openText(tokens[0] as string, { now: 2_000 }); // evicted: back to the codec
    expect(calls()).toBe(5);
    cache.clear();
    expect(cache.size).toBe(0);
  });
});
