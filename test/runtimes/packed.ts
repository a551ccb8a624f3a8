/**
 * The runtime tests run the package as a user gets it: `npm pack` of this
 * checkout (dist/ as built by `npm run build`, which `npm test` runs first),
 * unpacked into a temporary project whose node_modules holds the packed
 * `wasm-session` and links to its dependencies (and hono) from this checkout.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync, copyFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const APPS = fileURLToPath(new URL('./apps/', import.meta.url));
export const SECRET = 'runtime-tests-secret-0123456789-abcdefgh';

export interface PackedProject {
  /** The temporary project (its package.json, the apps, node_modules/wasm-session). */
  readonly dir: string;
  remove(): void;
}

/** Packs this checkout and lays out a project using it, with the files of test/runtimes/apps/ copied in. */
export function packedProject(): PackedProject {
  if (!existsSync(join(ROOT, 'dist/index.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  const dir = mkdtempSync(join(tmpdir(), 'wasm-session-runtimes-'));
  const tarball = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n').pop() as string;
  const modules = join(dir, 'node_modules');
  mkdirSync(modules);
  execFileSync('tar', ['-xzf', join(dir, tarball), '-C', modules]);
  renameSync(join(modules, 'package'), join(modules, 'wasm-session'));
  const pkg = JSON.parse(readFileSync(join(modules, 'wasm-session/package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  for (const name of [...Object.keys(pkg.dependencies ?? {}), 'hono']) {
    const target = join(ROOT, 'node_modules', name);
    if (!existsSync(target)) throw new Error(`${name} is missing from node_modules: run npm ci`);
    mkdirSync(dirname(join(modules, name)), { recursive: true });
    symlinkSync(target, join(modules, name), 'dir');
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'runtime-test-app', private: true, type: 'module' }));
  for (const f of readdirSync(APPS)) copyFileSync(join(APPS, f), join(dir, f));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The binary an npm package ships (a devDependency), checked to run: a test
 * never skips because it is missing, it fails naming the package.
 */
export function packageBinary(pkg: string, bin: string): string {
  const path = join(ROOT, 'node_modules/.bin', bin);
  try {
    execFileSync(path, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  } catch (e) {
    throw new Error(`${bin} does not run (${(e as Error).message.split('\n')[0]}): install the npm package "${pkg}" with its install script (a devDependency: npm ci, not --ignore-scripts)`);
  }
  return path;
}

export function version(binary: string): string {
  return execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim().split('\n')[0] as string;
}

export interface RunningApp {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Starts an app that prints `{"port": N}` as its first line once it listens.
 * Rejects with the app's output if it exits or stays silent for 30 s.
 */
export function startApp(command: string, args: readonly string[], cwd: string): Promise<RunningApp> {
  const child: ChildProcess = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return new Promise<RunningApp>((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${command} ${args.join(' ')} printed no port in 30 s\nstdout: ${out}\nstderr: ${err}`));
    }, 30_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{"port"'));
      if (line === undefined) return;
      clearTimeout(timer);
      const { port } = JSON.parse(line) as { port: number };
      resolve({ url: `http://127.0.0.1:${port}/`, stop });
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${command} ${args.join(' ')} exited (${code ?? signal}) before listening\nstdout: ${out}\nstderr: ${err}`));
    });
  });
}

/** What every test app answers: the session as its handler saw it. */
export interface AppAnswer {
  backend: string;
  n: number;
  isNew: boolean;
  reason: string | null;
  /** Only when the backend is js: why the wasm backend did not load (`initWasm()`'s rejection). */
  wasm?: { code: string; message: string } | null;
}

export interface Exchange {
  readonly status: number;
  readonly body: AppAnswer;
  readonly cookie: string | undefined;
}

/** The `sid` value of a response's Set-Cookie. */
export function sidOf(setCookies: readonly string[]): string | undefined {
  for (const line of setCookies) {
    const m = /^sid=([^;]*)/.exec(line);
    if (m) return m[1];
  }
  return undefined;
}

/** Flips the token's last characters: still base64url, but the tag no longer matches. */
export function tamper(token: string): string {
  const tail = token.slice(-2) === 'AA' ? 'BB' : 'AA';
  return token.slice(0, -2) + tail;
}

/** One request through `send`, with the given sid cookie. */
export async function exchange(send: (headers: Record<string, string>) => Promise<Response>, sid?: string): Promise<Exchange> {
  const res = await send(sid === undefined ? {} : { cookie: `sid=${sid}` });
  const text = await res.text();
  let body: AppAnswer;
  try {
    body = JSON.parse(text) as AppAnswer;
  } catch {
    throw new Error(`status ${res.status}, not JSON: ${text}`);
  }
  return { status: res.status, body, cookie: sidOf(res.headers.getSetCookie()) };
}

/**
 * The round trip every runtime must pass: a new session gets a cookie, the
 * cookie restores it (its value kept), a tampered cookie gives a fresh session.
 */
export async function roundTrip(send: (headers: Record<string, string>) => Promise<Response>): Promise<{ first: Exchange; second: Exchange; tampered: Exchange }> {
  const first = await exchange(send);
  if (first.cookie === undefined) throw new Error(`no sid cookie on the first response: ${JSON.stringify(first)}`);
  const second = await exchange(send, first.cookie);
  const tampered = await exchange(send, tamper(first.cookie));
  return { first, second, tampered };
}
