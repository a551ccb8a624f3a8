/**
 * initWasm's inputs and failures, each in a fresh Node process (the loaded
 * module is per process): a compiled WebAssembly.Module is accepted, bytes
 * that do not compile reject with BackendUnavailableError (the CompileError as
 * `cause`), and nothing of that breaks `auto`.
 */
import { execFileSync } from 'node:child_process';
import { expect, test } from 'vitest';

const DIST = new URL('../../dist/crypto/index.js', import.meta.url).href;
const WASM = new URL('../../wasm/wasm_session_core.wasm', import.meta.url).href;

function child(body: string): unknown {
  const source = `
    const { readFileSync } = await import('node:fs');
    const bytes = readFileSync(new URL(${JSON.stringify(WASM)}));
    const m = await import(${JSON.stringify(DIST)});
    const describe = (e) => ({ name: e.name, code: e.code, message: e.message, cause: e.cause?.name ?? null });
    ${body}`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', source], { encoding: 'utf8' }));
}

test('initWasm(bytes that do not compile) rejects with BackendUnavailableError, cause CompileError; auto still works', () => {
  const r = child(`
    process.getBuiltinModule = undefined; // no file access: auto would be js anyway
    const failed = await m.initWasm(new Uint8Array([0, 0x61, 0x73, 0x6d, 9, 9, 9, 9])).then(() => 'compiled', describe);
    console.log(JSON.stringify({ failed, auto: m.resolveBackend('auto') }));`);
  expect(r).toMatchObject({
    failed: { name: 'BackendUnavailableError', code: 'ERR_BACKEND_UNAVAILABLE', cause: 'CompileError' },
    auto: 'js',
  });
  expect((r as { failed: { message: string } }).failed.message).toContain('initWasm(wasm)');
});

test('initWasm(WebAssembly.Module) is used as is', () => {
  const r = child(`
    process.getBuiltinModule = undefined;
    await m.initWasm(new WebAssembly.Module(bytes));
    const c = m.createCodec({ secrets: 'k0123456789abcdef0123456789abcdef', name: 'sid' });
    console.log(JSON.stringify({ backend: c.backend, opened: c.openText(c.seal('v', 5), { now: 5 }) }));`);
  expect(r).toMatchObject({ backend: 'wasm', opened: { ok: true, value: 'v' } });
});

test("backend 'wasm' where the module cannot load: BackendUnavailableError saying what to do, every time", () => {
  const r = child(`
    process.getBuiltinModule = undefined;
    const tries = [];
    for (let i = 0; i < 2; i++) {
      try { m.createCodec({ secrets: 'k0123456789abcdef0123456789abcdef', name: 'sid', backend: 'wasm' }); tries.push('made'); }
      catch (e) { tries.push(describe(e)); }
    }
    console.log(JSON.stringify(tries));`) as { code: string; message: string }[];
  expect(r).toHaveLength(2);
  for (const e of r) {
    expect(e.code).toBe('ERR_BACKEND_UNAVAILABLE');
    expect(e.message).toContain("import wasm from 'wasm-session/wasm'");
  }
});
