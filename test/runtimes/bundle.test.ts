/**
 * The packed package bundles with esbuild for the browser, neutral and node
 * platforms with no flags (cookie is CommonJS with only a "main" field, which
 * the neutral platform ignores: the manager imports its file instead). The
 * bundle then runs in Node: it has no module file next to it, so `auto` picks
 * js and the round trip works; `initWasm(bytes)` then gives wasm.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { packedProject, ROOT, SECRET, type PackedProject } from './packed.js';

type EsbuildModule = typeof import('esbuild');

let project: PackedProject;
let esbuild: EsbuildModule;

beforeAll(async () => {
  try {
    esbuild = await import('esbuild');
  } catch (e) {
    throw new Error(`cannot load esbuild (${(e as Error).message}): install the npm package "esbuild" (a devDependency: npm ci)`);
  }
  project = packedProject();
});
afterAll(() => project?.remove());

describe.each(['browser', 'neutral', 'node'] as const)('esbuild --platform=%s', (platform) => {
  test('bundles every web entry with no errors or warnings, and the bundle runs', async () => {
    const outfile = join(project.dir, 'out', `bundle-${platform}.mjs`);
    const result = await esbuild.build({
      absWorkingDir: project.dir,
      entryPoints: [join(project.dir, 'bundle-entry.mjs')],
      bundle: true,
      format: 'esm',
      platform,
      outfile,
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);

    const m = (await import(pathToFileURL(outfile).href)) as typeof import('../../src/index.js') & typeof import('../../src/adapters/web.js');
    const session = new m.Session(new m.MemoryProvider(), { cookieSecret: SECRET });
    // A bundle has no wasm/ folder next to it: the wasm backend does not load, and auto says js.
    expect(session.backend).toBe('js');
    const s1 = await m.startWeb(session, new Request('http://x/'));
    s1.getValue().set('n', 7);
    const token = /^sid=([^;]+)/.exec((await s1.commit(new Response('ok'))).headers.getSetCookie()[0] ?? '')?.[1];
    expect(token).toBeDefined();
    const s2 = await m.startWeb(session, new Request('http://x/', { headers: { cookie: `sid=${token}` } }));
    expect(s2.isNew()).toBe(false);
    expect(s2.getValue().int('n')).toBe(7);
    session.dispose();

    // CookieProvider bundles too, and runs without node:crypto's large-value codec where there is none.
    const cm = m as unknown as { CookieProvider: typeof import('../../src/providers/cookie/provider.js').CookieProvider };
    const stateless = new m.Session(new cm.CookieProvider(), { cookieSecret: SECRET });
    const c1 = await m.startWeb(stateless, new Request('http://x/'));
    c1.getValue().set('big', 'x'.repeat(5000));
    const lines = (await c1.commit(new Response('ok'))).headers.getSetCookie();
    const jar = lines.map((l) => l.split(';')[0]).join('; ');
    const c2 = await m.startWeb(stateless, new Request('http://x/', { headers: { cookie: jar } }));
    expect(c2.isNew()).toBe(false);
    expect(c2.getValue().string('big')).toHaveLength(5000);
    stateless.dispose();

    await m.initWasm(readFileSync(join(ROOT, 'wasm/wasm_session_core.wasm')));
    const after = new m.Session(new m.MemoryProvider(), { cookieSecret: SECRET });
    expect(after.backend).toBe('wasm');
    after.dispose();
  });
});

test('docs/runtimes.md shows the KV provider the Workers test runs', () => {
  const docs = readFileSync(join(ROOT, 'docs/runtimes.md'), 'utf8');
  const block = /```js\n\/\/ kv-provider\.js\n([\s\S]*?)```/.exec(docs)?.[1];
  const file = readFileSync(join(ROOT, 'test/runtimes/apps/kv-provider.mjs'), 'utf8');
  const code = file.slice(file.indexOf('import '));
  expect(block).toBe(code);
});
