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

  it('is bounded (oldest half first) and clear() forgets everything', () => {
    const { codec, calls } = counting();
    const cache = new TokenCache(codec, { max: 4 });
    const tokens = ['a', 'b', 'c', 'd', 'e'].map((v) => codec.seal(v, 1_000));
    for (const t of tokens.slice(0, 4)) cache.openText(t, { now: 2_000 });
    expect(cache.size).toBe(4);
    for (const t of tokens.slice(2, 4)) cache.openText(t, { now: 2_000 });
    expect(calls()).toBe(4); // the young half answered from the cache
    cache.openText(tokens[4] as string, { now: 2_000 }); // the young half turns old, the old half goes
    expect(cache.size).toBeLessThanOrEqual(4);
    cache.openText(tokens[0] as string, { now: 2_000 }); // evicted with its generation: back to the codec
    expect(calls()).toBe(6);
    cache.openText(tokens[3] as string, { now: 2_000 }); // still held (old half)
    expect(calls()).toBe(6);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('keeps a token in use while many others pass through (a hit in the old half moves it to the young half)', () => {
    const { codec, calls } = counting();
    const cache = new TokenCache(codec, { max: 10 });
    const kept = codec.seal('kept', 1_000);
    cache.openText(kept, { now: 2_000 });
    for (let i = 0; i < 100; i++) {
      cache.openText(codec.seal(`other ${i}`, 1_000), { now: 2_000 });
      if (i % 4 === 0) cache.openText(kept, { now: 2_000 });
      expect(cache.size).toBeLessThanOrEqual(10);
    }
    expect(calls()).toBe(101); // `kept` opened in the codec once
  });

  it('stays correct when far more tokens circulate than it holds (each comes back after the bound)', () => {
    const { codec, calls } = counting();
    const cache = new TokenCache(codec, { max: 8 });
    const tokens = Array.from({ length: 50 }, (_, i) => codec.seal(`v${i}`, 1_000));
    for (let round = 0; round < 3; round++) {
      for (const [i, t] of tokens.entries()) expect(cache.openText(t, { now: 2_000 })).toMatchObject({ ok: true, value: `v${i}` });
    }
    expect(calls()).toBe(150);
    expect(cache.size).toBeLessThanOrEqual(8);
  });

  it('turns itself off while most lookups miss (requests go straight to the codec) and back on when the working set fits', () => {
    const { codec, calls } = counting();
    const cache = new TokenCache(codec, { max: 64 });
    const many = Array.from({ length: 4096 }, (_, i) => codec.seal(`m${i}`, 1_000));
    for (let round = 0; round < 2; round++) for (const t of many) expect(cache.openText(t, { now: 2_000 }).ok).toBe(true);
    expect(cache.size).toBeLessThanOrEqual(64);
    // Off: a token seen a moment ago is opened by the codec again (only a sampled request looks in).
    const one = codec.seal('one', 1_000);
    let before = calls();
    for (let i = 0; i < 32; i++) expect(cache.openText(one, { now: 2_000 }).ok).toBe(true);
    expect(calls() - before).toBeGreaterThanOrEqual(30);
    // A few tokens come back again and again: sampled in, they hit, the cache turns back on.
    const few = Array.from({ length: 8 }, (_, i) => codec.seal(`f${i}`, 1_000));
    let failed = 0;
    for (let i = 0; i < 150_000; i++) if (!cache.openText(few[i % 8] as string, { now: 2_000 }).ok) failed++;
    expect(failed).toBe(0);
    before = calls();
    for (let i = 0; i < 1_000; i++) cache.openText(few[i % 8] as string, { now: 2_000 });
    expect(calls()).toBe(before); // every one answered from the cache again
  });
});
