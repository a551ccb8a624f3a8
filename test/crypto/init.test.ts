import { execFileSync } from 'node:child_process';
import { expect, test } from 'vitest';

const DIST = new URL('../../dist/crypto/index.js', import.meta.url).href;
const WASM = new URL('../../wasm/wasm_session_core.wasm', import.meta.url).href;

test('runtimes without synchronous file access: auto falls back to js, and initWasm(bytes) enables wasm', () => {
  // The child hides process.getBuiltinModule, as a non-Node runtime would have none.
  const source = `
    const { readFileSync } = await import('node:fs');
    const bytes = readFileSync(new URL(${JSON.stringify(WASM)}));
    process.getBuiltinModule = undefined;
    const { createCodec, initWasm, resolveBackend } = await import(${JSON.stringify(DIST)});
    const before = resolveBackend('auto');
    await initWasm(bytes);
    const c = createCodec({ secrets: 'k0123456789abcdef0123456789abcdef', name: 'sid' });
    const t = c.seal('after initWasm', 1);
    console.log(JSON.stringify({ before, after: c.backend, opened: c.openText(t, { now: 1 }) }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', source], { encoding: 'utf8' });
  expect(JSON.parse(out)).toMatchObject({ before: 'js', after: 'wasm', opened: { ok: true, value: 'after initWasm' } });
});
