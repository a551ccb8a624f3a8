/**
 * Import hygiene, on the sources: the root entry never reaches an adapter,
 * and an adapter loads no framework at runtime (type-only imports are
 * erased), except fastify-plugin, a dependency of the package.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const FRAMEWORKS = ['express', 'fastify', 'koa', 'hono', '@hono/node-server'];

/** Runtime imports (not `import type`, not `export type`) of a file, transitively: local files and bare packages. */
function graph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    const text = readFileSync(file, 'utf8');
    const re = /^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;
    for (const m of text.matchAll(re)) {
      const spec = m[1] ?? '';
      if (spec.startsWith('.')) visit(join(dirname(file), spec.replace(/\.js$/, '.ts')));
      else packages.add(spec);
    }
  };
  visit(join(SRC, entry));
  return { files, packages };
}

it('the root entry does not import any adapter or framework', () => {
  const { files, packages } = graph('index.ts');
  expect([...files].filter((f) => f.includes('/adapters/'))).toEqual([]);
  expect([...packages].filter((p) => FRAMEWORKS.includes(p) || p === 'fastify-plugin')).toEqual([]);
});

it.each([
  ['express.ts', []],
  ['fastify.ts', ['fastify-plugin']],
  ['koa.ts', []],
  ['web.ts', []],
  ['hono.ts', []],
])('adapters/%s loads no framework at runtime', (file, allowed) => {
  const { packages } = graph(`adapters/${file}`);
  const frameworkish = [...packages].filter((p) => FRAMEWORKS.some((f) => p === f || p.startsWith(`${f}/`)) || p === 'fastify-plugin');
  expect(frameworkish).toEqual(allowed);
});
