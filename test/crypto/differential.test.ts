import { randomBytes, randomInt } from 'node:crypto';
import { expect, test } from 'vitest';
import { BACKENDS, codec, toHex } from './backends.js';

const CASES = 10_000;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!~ äöü東京🍪';

function randomString(min: number, max: number): string {
  const chars = [...ALPHABET];
  let s = '';
  const n = randomInt(min, max + 1);
  for (let i = 0; i < n; i++) s += chars[randomInt(chars.length)];
  return s;
}

test(`${CASES} random cases: each backend's token opens on the other two`, () => {
  const now = Date.now();
  for (let i = 0; i < CASES; i++) {
    const secret = randomString(32, 64);
    const name = randomString(1, 16);
    const value = randomBytes(randomInt(0, 3001));
    const issuedAt = now - randomInt(0, 1_000_000);
    const codecs = BACKENDS.map((b) => codec(b, { secrets: secret, name }));
    for (const sealer of codecs) {
      const token = sealer.seal(value, issuedAt);
      for (const opener of codecs) {
        if (opener === sealer) continue;
        const r = opener.open(token, { now });
        if (!r.ok || r.issuedAt !== issuedAt || toHex(r.value) !== value.toString('hex')) {
          // One readable failure instead of 10,000 assertions' worth of output.
          expect({ case: i, sealer: sealer.backend, opener: opener.backend, result: r.ok ? 'wrong value' : r.reason }).toBeNull();
        }
      }
    }
    for (const c of codecs) c.dispose();
  }
  // Generous: ~5 s alone, but CPU-bound, and the suite must pass on a loaded 2-core machine.
}, 240_000);
