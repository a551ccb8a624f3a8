import { Worker } from 'node:worker_threads';
import { expect, test } from 'vitest';
import { BACKENDS, codec } from './backends.js';

const ID = /^[A-Za-z0-9_-]{22}$/;

test.each(BACKENDS)('%s: 1,000,000 session IDs, all 22 base64url chars, no duplicate', (backend) => {
  const c = codec(backend, { secrets: 'k0123456789abcdef0123456789abcdef', name: 'sid' });
  const seen = new Set<string>();
  for (let i = 0; i < 1_000_000; i++) {
    const id = c.newSessionId();
    if (!ID.test(id) || seen.has(id)) expect({ i, id, duplicate: seen.has(id) }).toBeNull();
    seen.add(id);
  }
  expect(seen.size).toBe(1_000_000);
});

test('IDs carry 128 bits: every position but the last takes all 64 symbols', () => {
  const c = codec('wasm', { secrets: 'k0123456789abcdef0123456789abcdef', name: 'sid' });
  const perPos = Array.from({ length: 22 }, () => new Set<string>());
  for (let i = 0; i < 20_000; i++) [...c.newSessionId()].forEach((ch, p) => perPos[p]!.add(ch));
  for (let p = 0; p < 21; p++) expect(perPos[p]!.size).toBe(64);
  expect(perPos[21]!.size).toBe(4); // 128 = 21*6 + 2: the last char holds 2 bits
});

test('two worker threads (two WASM instances) produce different streams', async () => {
  // Workers load the built package (dist/), which `npm test` builds first.
  const source = `
    import { parentPort } from 'node:worker_threads';
    import { createCodec } from ${JSON.stringify(new URL('../../dist/crypto/index.js', import.meta.url).href)};
    const c = createCodec({ secrets: 'k0123456789abcdef0123456789abcdef', name: 'sid', backend: 'wasm' });
    parentPort.postMessage({ backend: c.backend, ids: Array.from({ length: 5000 }, () => c.newSessionId()) });`;
  const run = () =>
    new Promise<{ backend: string; ids: string[] }>((resolve, reject) => {
      const w = new Worker(new URL(`data:text/javascript,${encodeURIComponent(source)}`));
      w.once('message', (m: { backend: string; ids: string[] }) => {
        resolve(m);
        void w.terminate();
      });
      w.once('error', reject);
    });
  const [a, b] = await Promise.all([run(), run()]);
  expect(a.backend).toBe('wasm');
  expect(b.backend).toBe('wasm');
  const inA = new Set(a.ids);
  expect(inA.size).toBe(5000);
  expect(b.ids.filter((id) => inA.has(id))).toEqual([]);
});
