/**
 * `cookieValues` reads the session cookie in place when its name occurs once
 * in the header: checked against the `cookie` package's parse, pair by pair,
 * over generated headers full of near-misses (suffixes, blanks, `%`, pairs
 * without `=`, the name inside values).
 */
import { parse } from 'cookie';
import { describe, expect, it } from 'vitest';
import { cookieValues } from '../../src/manager/http.js';

/** What the cookie package finds for `name`, each pair on its own (duplicates kept, in order). */
function reference(header: string, name: string): string[] {
  const out: string[] = [];
  for (const part of header.split(';')) {
    const v = parse(part)[name];
    if (v !== undefined) out.push(v);
  }
  return out;
}

/** Deterministic generator (mulberry32): the same headers on every run. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = ['sid', 'sid', 'xsid', 'sid2', '=', '=', ';', '; ', ' ', '\t', 'abc', 'v', '%20', '%zz', '%', 'AAAA_-', '"q"'];

describe('cookieValues', () => {
  it('agrees with cookie.parse on 20,000 generated headers', () => {
    const next = rng(16);
    let single = 0;
    for (let n = 0; n < 20_000; n++) {
      let header = '';
      const len = 1 + Math.floor(next() * 12);
      for (let i = 0; i < len; i++) header += PIECES[Math.floor(next() * PIECES.length)];
      const got = cookieValues(header, 'sid');
      expect(got, JSON.stringify(header)).toEqual(reference(header, 'sid'));
      if (header.indexOf('sid') >= 0 && header.indexOf('sid', header.indexOf('sid') + 1) < 0) single++;
    }
    // The in-place path was exercised, not just the careful one.
    expect(single).toBeGreaterThan(2_000);
  });

  it('reads the common shapes', () => {
    expect(cookieValues('sid=abc', 'sid')).toEqual(['abc']);
    expect(cookieValues('a=1; sid = abc ; b=2', 'sid')).toEqual(['abc']);
    expect(cookieValues('foo; sid=1', 'sid')).toEqual(['1']);
    expect(cookieValues('x=asid=3', 'sid')).toEqual([]);
    expect(cookieValues('xsid=3', 'sid')).toEqual([]);
    expect(cookieValues('sid=a%20b', 'sid')).toEqual(['a b']);
    expect(cookieValues('sid=a%zzb', 'sid')).toEqual(['a%zzb']);
    expect(cookieValues('sid=1; sid=2', 'sid')).toEqual(['1', '2']);
    expect(cookieValues(undefined, 'sid')).toEqual([]);
    expect(cookieValues('sid', 'sid')).toEqual([]);
  });
});
