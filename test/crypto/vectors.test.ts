import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { BACKENDS, SEAL_WITH_IV, codec, hex, toHex } from './backends.js';

interface Vector {
  label: string;
  secrets: string[];
  sealIndex: number;
  name: string;
  iv: string;
  issuedAt: number;
  value: string;
  kid: number;
  token: string;
}

const vectors = JSON.parse(readFileSync(new URL('../vectors/v1.json', import.meta.url), 'utf8')) as Vector[];

describe.each(BACKENDS)('fixed vectors on %s', (backend) => {
  test.each(vectors.map((v) => [v.label, v] as const))('%s: seals to the exact token', (_label, v) => {
    const sealer = codec(backend, { secrets: v.secrets[v.sealIndex] as string, name: v.name });
    expect(sealer[SEAL_WITH_IV](hex(v.value), v.issuedAt, hex(v.iv))).toBe(v.token);
    sealer.dispose();
  });

  test.each(vectors.map((v) => [v.label, v] as const))('%s: opens with every secret configured', (_label, v) => {
    const opener = codec(backend, { secrets: v.secrets, name: v.name });
    const r = opener.open(v.token, { now: v.issuedAt });
    expect(r).toMatchObject({ ok: true, issuedAt: v.issuedAt, keyIndex: v.sealIndex });
    if (r.ok) expect(toHex(r.value)).toBe(v.value);
    opener.dispose();
  });
});

test('vectors cover the cases the format must get right', () => {
  const lengths = new Set(vectors.map((v) => v.value.length / 2));
  for (const n of [0, 1, 15, 16, 17, 3000]) expect(lengths.has(n)).toBe(true);
  expect(vectors.some((v) => v.sealIndex > 0)).toBe(true);
  expect(vectors.some((v) => /[^\x00-\x7f]/.test(Buffer.from(v.value, 'hex').toString('utf8')))).toBe(true);
});

test('the text API round-trips non-ASCII UTF-8 on every backend', () => {
  const secret = 'x0123456789abcdef0123456789abcdef0123456';
  const text = 'zürich — 東京 🍪';
  for (const a of BACKENDS) {
    for (const b of BACKENDS) {
      const token = codec(a, { secrets: secret, name: 'n' }).seal(text, 1000);
      expect(codec(b, { secrets: secret, name: 'n' }).openText(token, { now: 1000 })).toEqual({ ok: true, value: text, issuedAt: 1000, keyIndex: 0 });
    }
  }
});
