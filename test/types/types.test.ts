/**
 * The type-level suite: tsc over each fixture program (against the built
 * package, which `npm test` builds first). A mistake marked `@ts-expect-error`
 * that compiles fails tsc ("unused directive"), so these fail both ways.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

for (const fixture of ['augmented', 'plain']) {
  test(`types: ${fixture} compiles, and every marked mistake is a compile error`, () => {
    if (!existsSync(new URL('../../dist/index.d.ts', import.meta.url))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
    const dir = fileURLToPath(new URL(`./${fixture}/`, import.meta.url));
    const marks = readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .reduce((n, f) => n + (readFileSync(dir + f, 'utf8').match(/@ts-expect-error/g) ?? []).length, 0);
    expect(marks).toBeGreaterThan(3);
    let out = '';
    try {
      execFileSync(process.execPath, [tsc, '-p', `${dir}tsconfig.json`], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' });
    } catch (err) {
      out = String((err as { stdout?: string }).stdout ?? err);
    }
    expect(out).toBe('');
  }, 120_000);
}
