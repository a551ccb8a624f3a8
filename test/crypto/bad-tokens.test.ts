import { describe, expect, test } from 'vitest';
import { decodeBase64Url, encodeBase64Url } from '../../src/crypto/format.js';
import type { Codec, OpenFailure, OpenResult } from '../../src/crypto/types.js';
import { BACKENDS, codec } from './backends.js';

const SECRET = 'the secret used by the bad-token tests!';
const T0 = 1_764_028_800_000;
const VALUE = 'Vd8fQ2mKx0ZpLr4tYw9uAa';

/** Opens with every backend; asserts they agree, none throws, none yields plaintext. */
function openAll(codecs: Codec[], token: string, now = T0, maxAge?: number): OpenFailure {
  const results: OpenResult[] = codecs.map((c) => c.open(token, { now, maxAge }));
  const reasons = results.map((r) => (r.ok ? 'OPENED' : r.reason));
  expect(new Set(reasons).size, `backends disagree on ${JSON.stringify(token.slice(0, 40))}: ${reasons.join(', ')}`).toBe(1);
  for (const r of results) {
    expect(r.ok).toBe(false);
    expect(r).not.toHaveProperty('value');
  }
  for (const c of codecs) expect(c.openText(token, { now, maxAge }).ok).toBe(false);
  return reasons[0] as OpenFailure;
}

function flipRawBit(token: string, bit: number): string {
  const raw = decodeBase64Url(token) as Uint8Array;
  raw[bit >> 3] = (raw[bit >> 3] as number) ^ (1 << (bit & 7));
  return encodeBase64Url(raw);
}

describe('bad tokens, on every backend', () => {
  const codecs = BACKENDS.map((b) => codec(b, { secrets: SECRET, name: 'sid' }));
  const token = codecs[1]!.seal(VALUE, T0);

  test('the valid token opens everywhere (control)', () => {
    for (const c of codecs) expect(c.openText(token, { now: T0 })).toMatchObject({ ok: true, value: VALUE });
  });

  test('empty, garbage, non-base64url characters and padding are malformed', () => {
    const bad = ['', 'A', 'AAAA', 'not a token', token + '=', token + '==', token.replace(/.$/, '='), token.slice(0, 10) + '+' + token.slice(11),
      token.slice(0, 10) + '/' + token.slice(11), token.slice(0, 10) + '.' + token.slice(11), token.slice(0, 10) + 'é' + token.slice(11),
      token + ' ', ' ' + token, token.slice(0, 20) + '\u0000' + token.slice(21), '🍪'.repeat(40)];
    for (const t of bad) expect(openAll(codecs, t)).toBe('malformed');
  });

  test('every truncation fails', () => {
    for (let k = 0; k < token.length; k++) {
      expect(['malformed', 'bad-tag']).toContain(openAll(codecs, token.slice(0, k)));
    }
  });

  test('every single-bit flip of the token characters fails', () => {
    let count = 0;
    for (let i = 0; i < token.length; i++) {
      for (let b = 0; b < 8; b++) {
        const t = token.slice(0, i) + String.fromCharCode(token.charCodeAt(i) ^ (1 << b)) + token.slice(i + 1);
        openAll(codecs, t);
        count++;
      }
    }
    expect(count).toBe(token.length * 8);
  });

  test('every single-bit flip of the sealed bytes fails with the reason of its field', () => {
    const bits = (decodeBase64Url(token) as Uint8Array).length * 8;
    for (let bit = 0; bit < bits; bit++) {
      const expected = bit < 8 ? 'unsupported-version' : bit < 16 ? 'unknown-key' : 'bad-tag';
      expect(openAll(codecs, flipRawBit(token, bit))).toBe(expected);
    }
  });

  test('a wrong version byte is unsupported-version', () => {
    const raw = decodeBase64Url(token) as Uint8Array;
    for (const v of [0, 2, 0x80, 0xff]) {
      raw[0] = v;
      expect(openAll(codecs, encodeBase64Url(raw))).toBe('unsupported-version');
    }
  });

  test('a token of another cookie name or another secret does not open', () => {
    for (const b of BACKENDS) {
      const otherName = codec(b, { secrets: SECRET, name: 'remember' }).seal(VALUE, T0);
      const otherSecret = codec(b, { secrets: 'a different secret, also long enough', name: 'sid' }).seal(VALUE, T0);
      expect(['unknown-key', 'bad-tag']).toContain(openAll(codecs, otherName));
      expect(['unknown-key', 'bad-tag']).toContain(openAll(codecs, otherSecret));
    }
  });

  test('tokens over 4096 characters are refused before decoding', () => {
    expect(openAll(codecs, 'A'.repeat(4097))).toBe('malformed');
    expect(openAll(codecs, token + 'A'.repeat(4097 - token.length))).toBe('malformed');
    expect(openAll(codecs, 'A'.repeat(100_000))).toBe('malformed');
  });

  test('expiry: open at maxAge is expired, a millisecond before is not', () => {
    for (const c of codecs) {
      expect(c.open(token, { now: T0 + 60_000 - 1, maxAge: 60 }).ok).toBe(true);
      expect(c.open(token, { now: T0 + 10 ** 9 }).ok).toBe(true); // no maxAge, no limit
    }
    expect(openAll(codecs, token, T0 + 60_000, 60)).toBe('expired');
    expect(openAll(codecs, token, T0 + 10 ** 9, 60)).toBe('expired');
  });

  test('a future issuedAt beyond the clock-skew allowance (60 s) is refused', () => {
    const soon = codecs[2]!.seal(VALUE, T0 + 59_000);
    const later = codecs[2]!.seal(VALUE, T0 + 61_000);
    for (const c of codecs) expect(c.open(soon, { now: T0 }).ok).toBe(true);
    expect(openAll(codecs, later, T0)).toBe('future');
  });
});
