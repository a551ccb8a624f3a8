/**
 * Browsers, for the codec only: `wasm-session/crypto` from the packed package,
 * bundled with esbuild for the browser, runs in headless Chromium (Debian's
 * `chromium`, driven by playwright-core). `auto` picks js there (no file
 * access); `initWasm(bytes)` then gives wasm, and a token sealed by one
 * backend opens on the other.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { packedProject, ROOT, SECRET, type PackedProject } from './packed.js';

const CHROMIUM = '/usr/bin/chromium';

let project: PackedProject;
let browser: Browser | undefined;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  project = packedProject();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  project?.remove();
});

test('the codec in Chromium: js by default, wasm after initWasm(bytes), tokens open across both', async () => {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    absWorkingDir: project.dir,
    stdin: { contents: "export { createCodec, initWasm } from 'wasm-session/crypto';", resolveDir: project.dir },
    bundle: true,
    format: 'iife',
    globalName: 'wasmSession',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  expect(result.warnings).toEqual([]);
  const bundle = result.outputFiles[0]?.text ?? '';
  const wasm = readFileSync(join(ROOT, 'wasm/wasm_session_core.wasm')).toString('base64');

  const page = await (browser as Browser).newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.setContent('<!doctype html><title>codec</title>');
  await page.addScriptTag({ content: bundle });
  const r = await page.evaluate(
    async ({ secret, wasmBase64 }) => {
      type Codec = { backend: string; seal(v: string): string; openText(t: string): { ok: boolean; value?: string; reason?: string } };
      const ws = (globalThis as unknown as { wasmSession: { createCodec(o: object): Codec; initWasm(b: Uint8Array): Promise<void> } }).wasmSession;
      const before = ws.createCodec({ secrets: secret, name: 'sid' });
      const fromJs = before.seal('sealed by js');
      await ws.initWasm(Uint8Array.from(atob(wasmBase64), (c) => c.charCodeAt(0)));
      const after = ws.createCodec({ secrets: secret, name: 'sid' });
      const fromWasm = after.seal('sealed by wasm');
      return {
        before: before.backend,
        after: after.backend,
        wasmOpensJs: after.openText(fromJs),
        jsOpensWasm: before.openText(fromWasm),
        tampered: after.openText(fromWasm.slice(0, -2) + (fromWasm.endsWith('AA') ? 'BB' : 'AA')).reason,
      };
    },
    { secret: SECRET, wasmBase64: wasm },
  );
  await page.close();
  expect(errors).toEqual([]);
  expect(r).toMatchObject({
    before: 'js',
    after: 'wasm',
    wasmOpensJs: { ok: true, value: 'sealed by js' },
    jsOpensWasm: { ok: true, value: 'sealed by wasm' },
    tampered: 'bad-tag',
  });
});
