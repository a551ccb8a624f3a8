/** Every TypeScript block of the README, docs/ and the TypeDoc examples compiles against the built package. */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

test('docs: every TypeScript code block type-checks (scripts/check-docs.mjs)', () => {
  const script = fileURLToPath(new URL('../scripts/check-docs.mjs', import.meta.url));
  let out: string;
  try {
    out = execFileSync(process.execPath, [script], { encoding: 'utf8', stdio: 'pipe' });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`doc blocks fail to compile:\n${e.stderr ?? ''}${e.stdout ?? ''}`);
  }
  expect(out).toMatch(/docs-check: \d+ TypeScript blocks compiled/);
  expect(Number(/(\d+) TypeScript blocks/.exec(out)?.[1])).toBeGreaterThan(15);
}, 120_000);
