/**
 * `wasm-session/web` where WebAssembly is not allowed: a child `node --jitless`
 * (no WebAssembly global) runs the built package (dist/, made by `npm run build`,
 * which `npm test` runs first) with the pure-JS backend. The child gets no
 * native addon (WASM_SESSION_PREBUILD points node-gyp-build at an empty
 * folder), as on a platform without a prebuild; test/crypto/jitless.test.ts
 * covers native under --jitless.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const ROOT = new URL('../../dist/', import.meta.url);
const SECRET = 'web-jitless-secret-0123456789-abcdefgh';

// Node's own undici (behind Request/Response) compiles its HTTP parser with
// WebAssembly when it loads, and that rejects under --jitless: ignore only that.
const CHILD = `
process.on('unhandledRejection', (e) => {
  if (String(e && e.stack).includes('lazyllhttp')) return;
  throw e;
});
const root = process.argv[1];
const { Session, MemoryProvider } = await import(root + 'index.js');
const { startWeb } = await import(root + 'adapters/web.js');
const { honoSession } = await import(root + 'adapters/hono.js');
const out = { webassembly: typeof WebAssembly };
for (const backend of ['js', 'auto']) {
  const session = new Session(new MemoryProvider(), { cookieSecret: process.argv[2], backend });
  const s1 = await startWeb(session, new Request('http://x/'));
  s1.getValue().set('n', 41);
  const r1 = await s1.commit(new Response('ok'));
  const token = /^sid=([^;]+)/.exec(r1.headers.getSetCookie()[0] ?? '')?.[1] ?? '';
  const s2 = await startWeb(session, new Request('http://x/', { headers: { cookie: 'sid=' + token } }));
  // One character changed in the middle (a fixed suffix could equal the token's own: a flaky no-op).
  const i = token.length >> 1;
  const bad = token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
  const s3 = await startWeb(session, new Request('http://x/', { headers: { cookie: 'sid=' + bad } }));
  out[backend] = { backend: session.backend, restored: !s2.isNew(), n: s2.getValue().int('n'), tampered: s3.reason };
  session.dispose();
}
out.hono = typeof honoSession;
console.log(JSON.stringify(out));
`;

test('the web adapter runs under node --jitless with the pure-JS backend (auto picks it where no native addon loads)', () => {
  if (!existsSync(new URL('adapters/web.js', ROOT))) throw new Error('dist/adapters/web.js is missing: run `npm run build` first (npm test does)');
  const stdout = execFileSync(process.execPath, ['--jitless', '--no-warnings', '--input-type=module', '-e', CHILD, ROOT.href, SECRET], {
    encoding: 'utf8',
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    env: { ...process.env, WASM_SESSION_PREBUILD: mkdtempSync(join(tmpdir(), 'ws-no-addon-')) },
  });
  const r = JSON.parse(stdout) as Record<string, unknown>;
  const ok = { restored: true, n: 41, tampered: 'invalid' };
  expect(r).toEqual({ webassembly: 'undefined', js: { backend: 'js', ...ok }, auto: { backend: 'js', ...ok }, hono: 'function' });
});
