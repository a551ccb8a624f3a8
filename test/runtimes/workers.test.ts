/**
 * Cloudflare Workers: workerd (through the `miniflare` npm package) runs
 * Workers bundled with esbuild (`--platform=browser`) from the packed package,
 * one with wasm-session/web and one with Hono, each built twice:
 * (a) without initWasm: the package loads (no import.meta.url, no file
 *     access, no run-time compile there) and `auto` picks js, saying why;
 * (b) with `import wasm from 'wasm-session/wasm'` + `await initWasm(wasm)`
 *     (esbuild `--loader:.wasm=copy`, the module uploaded as CompiledWasm): wasm.
 * Round trip and tamper for all four; one workerd for all of them.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { packedProject, roundTrip, SECRET, type PackedProject } from './packed.js';
import { expectRoundTrip } from './expect.js';

type MiniflareModule = typeof import('miniflare');
type EsbuildModule = typeof import('esbuild');

// Fixed dates: the behaviour under test must not move with miniflare's default. The
// `-compat` build runs with nodejs_compat at a recent date (process, node:fs and
// FinalizationRegistry exist there), the others without (none of them do).
const BASE = { compatibilityDate: '2024-09-23', compatibilityFlags: [] as string[] };
const WORKERS = {
  'worker-web-js': BASE,
  'worker-web-wasm': BASE,
  'worker-hono-js': BASE,
  'worker-hono-wasm': BASE,
  'worker-web-js-compat': { compatibilityDate: '2026-07-01', compatibilityFlags: ['nodejs_compat'] },
  'worker-hono-wasm-compat': { compatibilityDate: '2026-07-01', compatibilityFlags: ['nodejs_compat'] },
  // The docs/runtimes.md recipe: sessions in a KV namespace, the secret a binding.
  'worker-hono-kv': { ...BASE, kvNamespaces: ['SESSIONS'], bindings: { SESSION_SECRET: SECRET } },
};

let project: PackedProject;
let mf: InstanceType<MiniflareModule['Miniflare']>;

async function need<T>(pkg: string): Promise<T> {
  try {
    return (await import(pkg)) as T;
  } catch (e) {
    throw new Error(`cannot load ${pkg} (${(e as Error).message}): install the npm package "${pkg}" (a devDependency: npm ci)`);
  }
}

beforeAll(async () => {
  const { Miniflare } = await need<MiniflareModule>('miniflare');
  const esbuild = await need<EsbuildModule>('esbuild');
  project = packedProject();
  const workers = [];
  for (const [name, compat] of Object.entries(WORKERS)) {
    const entry = name.replace(/-compat$/, '');
    const outdir = join(project.dir, 'out', name);
    mkdirSync(outdir, { recursive: true });
    // What a user runs: esbuild worker.mjs --bundle --format=esm --platform=browser --loader:.wasm=copy --outdir=...
    await esbuild.build({
      absWorkingDir: project.dir,
      entryPoints: [join(project.dir, `${entry}.mjs`)],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      loader: { '.wasm': 'copy' },
      outdir,
      logLevel: 'error',
    });
    workers.push({
      name,
      modules: true,
      modulesRoot: outdir,
      scriptPath: join(outdir, `${entry}.js`),
      // The Workers way to have WebAssembly: a module uploaded next to the script, compiled by the platform.
      modulesRules: [{ type: 'CompiledWasm' as const, include: ['**/*.wasm'] }],
      ...compat,
    });
  }
  mf = new Miniflare({ workers });
  await mf.ready;
  console.log(`miniflare ${(await need<{ default: { version: string } }>('miniflare/package.json')).default?.version ?? ''}`);
}, 120_000);

afterAll(async () => {
  await mf?.dispose();
  project?.remove();
});

async function sender(name: string) {
  // A Fetcher into that Worker (typed by miniflare after workers-types, which this project does not install).
  const worker = (await mf.getWorker(name)) as unknown as { fetch(url: string, init: RequestInit): Promise<Response> };
  return (headers: Record<string, string>, path = '/') => worker.fetch(`http://worker.test${path}`, { headers });
}

describe.each([
  ['worker-web-js', 'js'],
  ['worker-hono-js', 'js'],
  ['worker-web-wasm', 'wasm'],
  ['worker-hono-wasm', 'wasm'],
  ['worker-web-js-compat', 'js'],
  ['worker-hono-wasm-compat', 'wasm'],
] as const)('%s', (name, expected) => {
  test(`round trip and tamper on ${expected}`, async () => {
    const send = await sender(name);
    const r = await roundTrip((headers) => send(headers));
    expect(expectRoundTrip(r)).toBe(expected);
    if (expected === 'js') {
      // auto said why: no file access in a Worker, and what to do instead.
      expect(r.first.body.wasm?.code).toBe('ERR_BACKEND_UNAVAILABLE');
      expect(r.first.body.wasm?.message).toContain("import wasm from 'wasm-session/wasm'");
      expect(r.first.body.wasm?.message).toContain('initWasm(wasm)');
    }
  });
});

test.each(['worker-web-js', 'worker-hono-js', 'worker-web-js-compat'])('%s: asking for wasm without initWasm, or compiling bytes, is a BackendUnavailableError that says what to do', async (name) => {
  const send = await sender(name);
  const res = await send({}, '/diagnostics');
  const d = (await res.json()) as Record<string, unknown>;
  expect(d.importMetaUrl).toBe('undefined');
  expect(d.explicitWasm).toMatchObject({ name: 'BackendUnavailableError', code: 'ERR_BACKEND_UNAVAILABLE' });
  expect((d.explicitWasm as { message: string }).message).toContain('initWasm(wasm)');
  expect(d.initFromBytes).toMatchObject({ name: 'BackendUnavailableError', code: 'ERR_BACKEND_UNAVAILABLE', cause: 'CompileError' });
  expect((d.initFromBytes as { message: string }).message).toContain('refuses to compile WebAssembly from bytes');
});


test('worker-hono-kv (the docs recipe): round trip and tamper on wasm, the session stored in KV under the hash of its ID', async () => {
  const send = await sender('worker-hono-kv');
  const r = await roundTrip((headers) => send(headers));
  expect(expectRoundTrip(r)).toBe('wasm');
  const kv = (await mf.getKVNamespace('SESSIONS', 'worker-hono-kv')) as unknown as {
    list(): Promise<{ keys: { name: string; expiration?: number }[] }>;
    get(key: string): Promise<string | null>;
  };
  const { keys } = await kv.list();
  // The first session and the one started for the tampered cookie.
  expect(keys).toHaveLength(2);
  for (const k of keys) {
    expect(k.name).toMatch(/^sess:[0-9a-f]{64}$/);
    expect(k.expiration).toBeGreaterThan(Date.now() / 1000);
  }
  const records = await Promise.all(keys.map(async (k) => JSON.parse((await kv.get(k.name)) ?? 'null') as unknown));
  expect(records).toEqual(expect.arrayContaining([{ n: 2 }, { n: 1 }]));
});
