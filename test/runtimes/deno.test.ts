/**
 * Deno (the `deno` npm package's binary) runs the packed package: a node:http
 * app and a `Deno.serve` app with wasm-session/web. With --allow-read, `auto`
 * picks a backend that is not the pure-JS fallback; without it, reading the
 * module file is refused, `auto` falls back to js, and `initWasm()` says why
 * and what to do; a source-phase import of `wasm-session/wasm` + `initWasm`
 * needs no permission and gives wasm (both in docs/runtimes.md).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { packageBinary, packedProject, roundTrip, startApp, version, type PackedProject } from './packed.js';
import { expectRoundTrip } from './expect.js';

let project: PackedProject;
let deno: string;

beforeAll(() => {
  deno = packageBinary('deno', 'deno');
  project = packedProject();
  console.log(version(deno));
});
afterAll(() => project?.remove());

async function trip(app: string, permissions: string[]) {
  // --no-prompt: a missing permission is refused, never asked for (no TTY in CI).
  const running = await startApp(deno, ['run', '--no-prompt', ...permissions, app], project.dir);
  try {
    return await roundTrip((headers) => fetch(running.url, { headers }));
  } finally {
    await running.stop();
  }
}

describe.each(['node-http.mjs', 'web-serve.mjs'])('deno %s', (app) => {
  test('--allow-read: round trip, tamper → fresh session, a fast backend', async () => {
    const backend = expectRoundTrip(await trip(app, ['--allow-net=127.0.0.1', '--allow-read']));
    expect(['wasm', 'native']).toContain(backend);
  });

  test('without --allow-read: round trip on js, and initWasm() names the flag', async () => {
    const r = await trip(app, ['--allow-net=127.0.0.1']);
    expect(expectRoundTrip(r)).toBe('js');
    expect(r.first.body.wasm?.code).toBe('ERR_BACKEND_UNAVAILABLE');
    expect(r.first.body.wasm?.message).toContain('--allow-read');
  });
});

test('without --allow-read: `import source wasm from \'wasm-session/wasm\'` + initWasm(wasm) gives wasm', async () => {
  // No --allow-read or --allow-ffi: nothing but the imported module can load, so wasm exactly.
  expect(expectRoundTrip(await trip('deno-source-import.mjs', ['--allow-net=127.0.0.1']))).toBe('wasm');
});
