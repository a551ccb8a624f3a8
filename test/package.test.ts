/**
 * package.json as npm reads it: no install-time script in the published package (npm 11 is moving to
 * approve-only install scripts), the Node versions CI tests, both prebuilds shipped, and every dev
 * dependency whose install script the tests need approved in `allowScripts`.
 */
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';

interface Pkg {
  scripts?: Record<string, string>;
  engines?: Record<string, string>;
  files?: string[];
  allowScripts?: Record<string, boolean>;
}
const read = <T>(file: string): T => JSON.parse(readFileSync(new URL(`../${file}`, import.meta.url), 'utf8')) as T;
const pkg = read<Pkg>('package.json');

test('package.json has no preinstall/install/postinstall/prepare script', () => {
  for (const hook of ['preinstall', 'install', 'postinstall', 'prepare']) expect(pkg.scripts?.[hook], hook).toBeUndefined();
});

test('engines.node is what CI tests (22, 24, 26), and this Node is one of them', () => {
  expect(pkg.engines?.node).toBe('>=22');
  expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(22);
});

test('the package ships the linux-x64 and linux-arm64 prebuilds, built by prepack', () => {
  expect(pkg.files).toEqual(expect.arrayContaining(['prebuilds/linux-x64/*.node', 'prebuilds/linux-arm64/*.node']));
  expect(pkg.scripts?.prepack).toContain('build-native.sh --prebuilds');
});

test('allowScripts approves exactly the dependencies with install scripts in the lockfile', () => {
  const lock = read<{ packages: Record<string, { hasInstallScript?: boolean; dev?: boolean }> }>('package-lock.json');
  const withScripts = Object.entries(lock.packages)
    .filter(([, p]) => p.hasInstallScript)
    .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length))
    .sort();
  expect(withScripts).toEqual(expect.arrayContaining(['bun', 'deno', 'esbuild', 'workerd']));
  expect(Object.keys(pkg.allowScripts ?? {}).sort()).toEqual(withScripts);
  for (const [name, allowed] of Object.entries(pkg.allowScripts ?? {})) {
    expect(allowed, name).toBe(true);
    // Only the tests need them (workerd through miniflare): an app installing wasm-session runs none.
    expect(lock.packages[`node_modules/${name}`]?.dev, `${name} is dev-only`).toBe(true);
  }
});
