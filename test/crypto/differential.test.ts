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

// Four backends, twelve seal→open pairs per case: ~20 s on a quiet 2-core machine, over 60 s on a loaded one.
test(`${CASES} random cases: each backend's token opens on the other three`, async () => {
  const now = Date.now();
  for (let i = 0; i < CASES; i++) {
    // Let the worker answer vitest's RPC now and then (a minute-long synchronous loop times it out).
    if (i % 250 === 0) await new Promise((resolve) => setImmediate(resolve));
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
  // Generous: CPU-bound (four backends), and the suite must pass on a loaded 2-core machine.
}, 300_000);
