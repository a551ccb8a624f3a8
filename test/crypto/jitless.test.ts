import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { codec } from './backends.js';

const DIST = new URL('../../dist/crypto/index.js', import.meta.url).href;
const SECRET = 'a secret shared by parent and child!!';

/** An empty folder for WASM_SESSION_PREBUILD: node-gyp-build finds no addon there (a platform without a prebuild). */
const NO_ADDON = { ...process.env, WASM_SESSION_PREBUILD: mkdtempSync(join(tmpdir(), 'ws-no-addon-')) };

/** Runs an ES module under `node --jitless` (no WebAssembly) and returns its JSON output. */
function jitless(source: string, env: NodeJS.ProcessEnv, ...args: string[]): Record<string, unknown> {
  const out = execFileSync(process.execPath, ['--jitless', '--no-warnings', '--input-type=module', '-e', source, ...args], { encoding: 'utf8', env });
  return JSON.parse(out) as Record<string, unknown>;
}

test('under node --jitless without the native addon, auto picks js and interoperates with wasm tokens', () => {
  const wasm = codec('wasm', { secrets: SECRET, name: 'sid' });
  const fromWasm = wasm.seal('sealed by wasm', 1000);
  const r = jitless(
    `import { createCodec, resolveBackend } from ${JSON.stringify(DIST)};
     const c = createCodec({ secrets: process.argv[1], name: 'sid' });
     let wasmError = null;
     try { createCodec({ secrets: process.argv[1], name: 'sid', backend: 'wasm' }); } catch (e) { wasmError = e.code; }
     console.log(JSON.stringify({
       webassembly: typeof WebAssembly, auto: resolveBackend('auto'), backend: c.backend, wasmError,
       opened: c.openText(process.argv[2], { now: 1000 }), sealed: c.seal('sealed under jitless', 2000) }));`,
    NO_ADDON,
    SECRET,
    fromWasm,
  );
  expect(r).toMatchObject({
    webassembly: 'undefined',
    auto: 'js',
    backend: 'js',
    wasmError: 'ERR_BACKEND_UNAVAILABLE',
    opened: { ok: true, value: 'sealed by wasm', issuedAt: 1000 },
  });
  expect(wasm.openText(r.sealed as string, { now: 2000 })).toMatchObject({ ok: true, value: 'sealed under jitless' });
});

test('under node --jitless, native still works: auto picks it, and it interoperates with wasm both ways', () => {
  const wasm = codec('wasm', { secrets: SECRET, name: 'sid' });
  const fromWasm = wasm.seal('sealed by wasm', 1000);
  const r = jitless(
    `import { createCodec, resolveBackend } from ${JSON.stringify(DIST)};
     const c = createCodec({ secrets: process.argv[1], name: 'sid' });
     console.log(JSON.stringify({
       webassembly: typeof WebAssembly, auto: resolveBackend('auto'), backend: c.backend, id: c.newSessionId(),
       opened: c.openText(process.argv[2], { now: 1000 }), sealed: c.seal('sealed by native under jitless', 2000) }));`,
    process.env,
    SECRET,
    fromWasm,
  );
  expect(r).toMatchObject({ webassembly: 'undefined', auto: 'native', backend: 'native', opened: { ok: true, value: 'sealed by wasm', issuedAt: 1000, keyIndex: 0 } });
  expect(r.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
  expect(wasm.openText(r.sealed as string, { now: 2000 })).toMatchObject({ ok: true, value: 'sealed by native under jitless', issuedAt: 2000 });
});
