import { describe, expect, test } from 'vitest';
import { TOKEN_MAX, VALUE_MAX, createCodec, resolveBackend, tokenLength } from '../../src/crypto/index.js';
import { BACKENDS, codec } from './backends.js';

const SECRET = 's0123456789abcdef0123456789abcdef';

describe.each(BACKENDS)('codec construction and limits on %s', (backend) => {
  test('no secret, an empty list or an empty secret: ERR_EMPTY_SECRET', () => {
    for (const secrets of [undefined, '', [], ['']] as unknown as string[]) {
      expect(() => codec(backend, { secrets, name: 'sid' })).toThrow(expect.objectContaining({ code: 'ERR_EMPTY_SECRET' }));
    }
  });

  test('a secret shorter than 32 characters: ERR_WEAK_SECRET, without echoing it', () => {
    let err: unknown;
    try {
      codec(backend, { secrets: [SECRET, 'short-secret-value'], name: 'sid' });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'ERR_WEAK_SECRET' });
    expect(String((err as Error).message)).not.toContain('short-secret-value');
  });

  test('the largest value that fits seals to at most 4096 characters; one more byte is refused', () => {
    const c = codec(backend, { secrets: SECRET, name: 'sid' });
    const token = c.seal(new Uint8Array(VALUE_MAX), 5);
    expect(token.length).toBe(tokenLength(VALUE_MAX));
    expect(token.length).toBeLessThanOrEqual(TOKEN_MAX);
    expect(c.open(token, { now: 5 }).ok).toBe(true);
    expect(() => c.seal(new Uint8Array(VALUE_MAX + 1))).toThrow(expect.objectContaining({ code: 'ERR_TOKEN_TOO_LARGE' }));
    expect(() => c.seal('x'.repeat(20_000))).toThrow(expect.objectContaining({ code: 'ERR_TOKEN_TOO_LARGE' }));
  });

  test('token length matches the formula for every size', () => {
    const c = codec(backend, { secrets: SECRET, name: 'sid' });
    for (let n = 0; n < 70; n++) expect(c.seal(new Uint8Array(n)).length).toBe(tokenLength(n));
  });

  test('a fresh IV per seal: the same value never seals to the same token twice', () => {
    const c = codec(backend, { secrets: SECRET, name: 'sid' });
    const tokens = new Set(Array.from({ length: 1000 }, () => c.seal('same value', 1)));
    expect(tokens.size).toBe(1000);
  });

  test('bad issuedAt is refused at seal', () => {
    const c = codec(backend, { secrets: SECRET, name: 'sid' });
    for (const t of [-1, 1.5, Number.NaN, 2 ** 60]) expect(() => c.seal('v', t)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }));
  });
});

test('auto picks native here (the addon is built), and the choice is visible', () => {
  expect(resolveBackend('auto')).toBe('native');
  expect(createCodec({ secrets: SECRET, name: 'sid' }).backend).toBe('native');
  expect(() => resolveBackend('rust' as 'wasm')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }));
});
