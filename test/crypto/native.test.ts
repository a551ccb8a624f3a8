/**
 * The native backend beyond what every backend shares (vectors, differential,
 * bad tokens, limits and IDs run on it through BACKENDS): fallback when the
 * addon is missing, worker threads, dispose, and memory across the N-API
 * boundary. Children run the built package (dist/, made by `npm test`).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { codec } from './backends.js';

const DIST = new URL('../../dist/crypto/index.js', import.meta.url);
const SECRET = 'native-backend-test-secret-0123456789';

function child(source: string, env: NodeJS.ProcessEnv = process.env, args: string[] = []): Record<string, unknown> {
  if (!existsSync(DIST)) throw new Error('dist/crypto/index.js is missing: run `npm run build` first (npm test does)');
  const out = execFileSync(process.execPath, [...args, '--no-warnings', '--input-type=module', '-e', source, DIST.href, SECRET], {
    encoding: 'utf8',
    env,
    timeout: 120_000,
  });
  return JSON.parse(out) as Record<string, unknown>;
}

test('without an addon for this platform, auto falls back to wasm silently and backend native throws naming why', () => {
  const env = { ...process.env, WASM_SESSION_PREBUILD: mkdtempSync(join(tmpdir(), 'ws-no-addon-')) };
  const r = child(
    `const { createCodec, resolveBackend, nativeAvailable } = await import(process.argv[1]);
     let error = null;
     try { createCodec({ secrets: process.argv[2], name: 'sid', backend: 'native' }); } catch (e) { error = { code: e.code, name: e.name, message: e.message }; }
     console.log(JSON.stringify({ available: nativeAvailable(), auto: resolveBackend('auto'), codec: createCodec({ secrets: process.argv[2], name: 'sid' }).backend, error }));`,
    env,
  );
  expect(r).toMatchObject({ available: false, auto: 'wasm', codec: 'wasm', error: { code: 'ERR_BACKEND_UNAVAILABLE', name: 'BackendUnavailableError' } });
  const message = (r.error as { message: string }).message;
  expect(message).toContain('native backend is not available on linux-x64');
  expect(message).toContain('No native build was found');
  expect(message).toContain('npm run build:native');
});

test('worker threads: two workers seal, open and make IDs at the same time, each with its own addon instance', () => {
  const r = child(`
    import { Worker } from 'node:worker_threads';
    const [dist, secret] = [process.argv[1], process.argv[2]];
    const body = \`
      const { parentPort, workerData } = await import('node:worker_threads');
      const { createCodec } = await import(workerData.dist);
      const c = createCodec({ secrets: workerData.secret, name: 'sid' });
      const ids = [], tokens = [];
      let opened = 0;
      for (let i = 0; i < 20000; i++) {
        ids.push(c.newSessionId());
        const t = c.seal('w' + workerData.n + ':' + i, 1000 + i);
        const o = c.openText(t, { now: 1000 + i });
        if (o.ok && o.value === 'w' + workerData.n + ':' + i && o.issuedAt === 1000 + i) opened++;
        if (i % 1000 === 0) tokens.push(t);
      }
      parentPort.postMessage({ backend: c.backend, ids, tokens, opened });\`;
    const run = (n) => new Promise((resolve, reject) => {
      const w = new Worker(body, { eval: true, workerData: { dist, secret, n } });
      w.once('message', resolve);
      w.once('error', reject);
    });
    const results = await Promise.all([run(1), run(2)]);
    const { createCodec } = await import(dist);
    const main = createCodec({ secrets: secret, name: 'sid', backend: 'native' });
    const all = results.flatMap((x) => x.ids);
    const reopened = results.map((x, k) => x.tokens.every((t, j) => main.openText(t, { now: 1000 + j * 1000 }).value === 'w' + (k + 1) + ':' + j * 1000));
    console.log(JSON.stringify({
      backends: results.map((x) => x.backend), opened: results.map((x) => x.opened),
      ids: all.length, unique: new Set(all).size, shaped: all.every((id) => /^[A-Za-z0-9_-]{22}$/.test(id)), reopened,
    }));`);
  expect(r).toEqual({ backends: ['native', 'native'], opened: [20000, 20000], ids: 40000, unique: 40000, shaped: true, reopened: [true, true] });
});

test('dispose() frees the native key ring: the codec refuses to work afterwards, twice is harmless', () => {
  const c = codec('native', { secrets: SECRET, name: 'sid' });
  const token = c.seal('before dispose', 1);
  expect(c.openText(token, { now: 1 })).toMatchObject({ ok: true, value: 'before dispose' });
  c.dispose();
  expect(() => c.seal('after', 1)).toThrow(expect.objectContaining({ code: 'ERR_BACKEND_UNAVAILABLE' }));
  expect(() => c.openText(token, { now: 1 })).toThrow(expect.objectContaining({ code: 'ERR_BACKEND_UNAVAILABLE' }));
  expect(() => c.newSessionId()).toThrow(expect.objectContaining({ code: 'ERR_BACKEND_UNAVAILABLE' }));
  expect(() => c.dispose()).not.toThrow();
  // Other codecs are untouched.
  expect(codec('native', { secrets: SECRET, name: 'sid' }).openText(token, { now: 1 })).toMatchObject({ ok: true });
});

test('bytes in, bytes out; text in, text out; the value types match the other backends', () => {
  const c = codec('native', { secrets: SECRET, name: 'sid' });
  const bytes = Uint8Array.from([0, 1, 2, 250, 255]);
  const opened = c.open(c.seal(bytes, 5), { now: 5 });
  expect(opened).toEqual({ ok: true, value: bytes, issuedAt: 5, keyIndex: 0 });
  expect(opened.ok && Object.getPrototypeOf(opened.value)).toBe(Uint8Array.prototype);
  expect(c.openText(c.seal('é ✓ 𝄞', 6), { now: 6 })).toEqual({ ok: true, value: 'é ✓ 𝄞', issuedAt: 6, keyIndex: 0 });
  expect(c.openText('é'.repeat(100), { now: 6 })).toEqual({ ok: false, reason: 'malformed' });
  expect(() => c.seal(new Uint16Array(4) as unknown as Uint8Array, 1)).toThrow(expect.objectContaining({ code: 'ERR_BACKEND_UNAVAILABLE' }));
});

test('memory: 1,000,000 seal/open calls and 20,000 codecs dropped without dispose leave RSS flat', () => {
  const r = child(
    `const { createCodec } = await import(process.argv[1]);
     const c = createCodec({ secrets: process.argv[2], name: 'sid', backend: 'native' });
     const value = 'x'.repeat(300);
     let ok = 0;
     // Externals' finalizers run after a GC, from the event loop: let them.
     const settle = async () => { for (let k = 0; k < 2; k++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 20)); } };
     const round = async (n) => {
       for (let i = 0; i < n; i++) {
         const t = c.seal(value, 1000);
         const o = i & 1 ? c.open(t, { now: 1000 }) : c.openText(t, { now: 1000 });
         if (o.ok) ok++;
       }
       for (let i = 0; i < n / 50; i++) createCodec({ secrets: process.argv[2] + i, name: 'sid', backend: 'native' }).seal('v', 1);
       await settle();
     };
     await round(100000);
     const before = process.memoryUsage.rss();
     for (let k = 0; k < 9; k++) await round(100000);
     console.log(JSON.stringify({ ok, growthMB: (process.memoryUsage.rss() - before) / 2 ** 20 }));`,
    process.env,
    ['--expose-gc'],
  );
  expect(r.ok).toBe(1_000_000);
  // Leaking one 3 KiB scratch per dropped codec, or a value copy per call, would be hundreds of MB.
  expect(r.growthMB as number).toBeLessThan(24);
}, 180_000);

test('two copies of the module (src and dist) share one addon instance and both read their results right', async () => {
  const dist = (await import(DIST.href)) as typeof import('../../src/crypto/index.js');
  const a = codec('native', { secrets: SECRET, name: 'sid' });
  const b = dist.createCodec({ secrets: [SECRET + 'x', SECRET], name: 'sid', backend: 'native' });
  const t = a.seal('shared', 1234);
  expect(b.openText(t, { now: 1234 })).toEqual({ ok: true, value: 'shared', issuedAt: 1234, keyIndex: 1 });
  expect(a.openText(b.seal('back', 99), { now: 99 })).toEqual({ ok: false, reason: 'unknown-key' });
  expect(a.openText(t, { now: 1234 })).toEqual({ ok: true, value: 'shared', issuedAt: 1234, keyIndex: 0 });
});
