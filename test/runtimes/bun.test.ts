/**
 * Bun (the `bun` npm package's binary) runs the packed package: a node:http
 * app and a `Bun.serve` app with wasm-session/web. `auto` must pick a backend
 * that works in Bun and is not the pure-JS fallback (WebAssembly and file
 * access are there); which one (wasm, or a native one that loads in Bun) is
 * auto's choice.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { packageBinary, packedProject, roundTrip, startApp, version, type PackedProject } from './packed.js';
import { expectRoundTrip } from './expect.js';

let project: PackedProject;
let bun: string;

beforeAll(() => {
  bun = packageBinary('bun', 'bun');
  project = packedProject();
  console.log(`bun ${version(bun)}`);
});
afterAll(() => project?.remove());

describe.each(['node-http.mjs', 'web-serve.mjs'])('bun %s', (app) => {
  test('round trip, tamper → fresh session, a fast backend', async () => {
    const running = await startApp(bun, [app], project.dir);
    try {
      const backend = expectRoundTrip(await roundTrip((headers) => fetch(running.url, { headers })));
      expect(['wasm', 'native']).toContain(backend);
    } finally {
      await running.stop();
    }
  });
});
