/**
 * The entry as apps load it, in child processes: `require` returns the
 * factory itself (a real CommonJS entry, as `require('express-session')`),
 * `import session from` works, and stores that take the factory
 * (memorystore, connect-pg-simple) extend our Store. Once from this checkout
 * (the package's self-reference) and once from the packed package.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

const CJS = `
const session = require('wasm-session/express-session');
const assert = require('node:assert');
assert.strictEqual(typeof session, 'function');
for (const k of ['Store', 'MemoryStore', 'Session', 'Cookie']) assert.strictEqual(typeof session[k], 'function', k);
const MemoryStore = require('memorystore')(session);
const store = new MemoryStore({ checkPeriod: 60000 });
assert.ok(store instanceof session.Store);
const express = require('express');
const app = express();
app.use(session({ secret: 'a secret for the entry test, long enough', store, resave: false, saveUninitialized: false }));
app.get('/', (req, res) => { req.session.n = (req.session.n || 0) + 1; res.send(String(req.session.n)); });
const server = app.listen(0, '127.0.0.1', async () => {
  const url = 'http://127.0.0.1:' + server.address().port + '/';
  const a = await fetch(url);
  const cookie = a.headers.get('set-cookie').split(';')[0];
  const b = await fetch(url, { headers: { cookie } });
  console.log(JSON.stringify({ first: await a.text(), second: await b.text() }));
  store.stopInterval();
  server.close();
});
`;

const ESM = `
import session, { MemoryStore, Store, Session, Cookie, session as named } from 'wasm-session/express-session';
import { ExpressStoreProvider } from 'wasm-session/express-store';
console.log(JSON.stringify({
  fn: typeof session, same: session === named, memory: new MemoryStore() instanceof Store,
  attached: session.MemoryStore === MemoryStore && session.Session === Session && session.Cookie === Cookie,
  provider: typeof ExpressStoreProvider,
}));
`;

function run(cwd: string, args: string[], source: string): unknown {
  const r = spawnSync(process.execPath, [...args, source], { cwd, encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`node exited ${String(r.status)}: ${r.stderr}`);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as unknown;
}

function checks(cwd: () => string): void {
  it("require('wasm-session/express-session') is the factory, with Store, MemoryStore, Session, Cookie; memorystore extends it", () => {
    expect(run(cwd(), ['-e'], CJS)).toEqual({ first: '1', second: '2' });
  });
  it("import session from 'wasm-session/express-session' and the named exports", () => {
    expect(run(cwd(), ['--input-type=module', '-e'], ESM)).toEqual({ fn: 'function', same: true, memory: true, attached: true, provider: 'function' });
  });
}

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/express-session/index.js'))) throw new Error('dist/ is missing: run npm run build first (npm test does)');
});

describe('from this checkout', () => {
  checks(() => ROOT);
});

describe('from the packed package', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'wasm-session-pack-'));
    const out = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n').pop() as string;
    const pkg = join(dir, 'node_modules', 'wasm-session');
    mkdirSync(pkg, { recursive: true });
    execFileSync('tar', ['-xzf', join(dir, out), '-C', pkg, '--strip-components=1']);
    // The app's other packages: from this checkout's node_modules.
    for (const name of readdirSync(join(ROOT, 'node_modules'))) {
      if (name === '.bin' || name === 'wasm-session' || name.startsWith('.')) continue;
      symlinkSync(join(ROOT, 'node_modules', name), join(dir, 'node_modules', name));
    }
    writeFileSync(join(dir, 'package.json'), '{"name":"app","private":true}\n');
  }, 120_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  checks(() => dir);

  it('types: `import session = require(...)` (CommonJS) and `import session from` (ESM) both type-check', () => {
    writeFileSync(join(dir, 'a.cts'), [
      "import session = require('wasm-session/express-session');",
      "const mw = session({ secret: 'x', resave: false, saveUninitialized: false, store: new session.MemoryStore() });",
      'export const n: number = mw.length;',
      '// @ts-expect-error resave is a boolean',
      "session({ resave: 'yes' });",
      '',
    ].join('\n'));
    writeFileSync(join(dir, 'b.mts'), [
      "import session, { MemoryStore, type SessionData } from 'wasm-session/express-session';",
      "declare module 'wasm-session/express-session' { interface SessionData { user: string } }",
      "const d: Partial<SessionData> = { user: 'ada' };",
      "session({ secret: 'x', store: new MemoryStore() });",
      'export { d };',
      '',
    ].join('\n'));
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--types', 'node', '--skipLibCheck', 'a.cts', 'b.mts'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 60_000);
});
