/**
 * The SQL providers' entries: `wasm-session/postgres` and `wasm-session/sqlite`
 * resolve through package.json `exports`, and nothing reachable from the root
 * entry (or from either provider) loads `pg` or `node:sqlite` at run time: the
 * app passes its own Pool / DatabaseSync.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

/** Packages `entry` loads at run time, following relative imports (type-only imports excluded). */
function runtimePackages(entry: string): Set<string> {
  const seen = new Set<string>();
  const out = new Set<string>();
  const walk = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    const visit = (node: ts.Node): void => {
      let spec: string | undefined;
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
        const c = node.importClause;
        const typeOnly = c !== undefined && (c.isTypeOnly || (c.name === undefined && c.namedBindings !== undefined && ts.isNamedImports(c.namedBindings) && c.namedBindings.elements.length > 0 && c.namedBindings.elements.every((e) => e.isTypeOnly)));
        if (!typeOnly) spec = node.moduleSpecifier.text;
      } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier) && !node.isTypeOnly) {
        spec = node.moduleSpecifier.text;
      } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
        spec = node.arguments[0].text;
      }
      if (spec !== undefined) {
        if (spec.startsWith('.')) {
          const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
          if (existsSync(target)) walk(target);
        } else out.add(spec);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  };
  walk(entry);
  return out;
}

describe('SQL provider entries', () => {
  for (const entry of ['src/index.ts', 'src/providers/sql/postgres.ts', 'src/providers/sql/sqlite.ts']) {
    it(`${entry} never loads pg or node:sqlite at run time`, () => {
      const reached = [...runtimePackages(resolve(ROOT, entry))].filter((p) => p === 'pg' || p.startsWith('pg/') || p === 'node:sqlite');
      expect(reached).toEqual([]);
    });
  }

  it('package.json exports ./postgres and ./sqlite, and pg is an optional peer', async () => {
    const pkg = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as {
      exports: Record<string, { types: string; default: string }>;
      peerDependenciesMeta: Record<string, { optional: boolean }>;
    };
    expect(pkg.exports['./postgres']).toEqual({ types: './dist/providers/sql/postgres.d.ts', default: './dist/providers/sql/postgres.js' });
    expect(pkg.exports['./sqlite']).toEqual({ types: './dist/providers/sql/sqlite.d.ts', default: './dist/providers/sql/sqlite.js' });
    expect(pkg.peerDependenciesMeta.pg).toEqual({ optional: true });
    expect(existsSync(resolve(ROOT, 'dist/providers/sql/postgres.js')), 'dist/ is built (npm run build)').toBe(true);
    const pgEntry = (await import('wasm-session/postgres' as string)) as Record<string, unknown>;
    const sqliteEntry = (await import('wasm-session/sqlite' as string)) as Record<string, unknown>;
    expect(typeof pgEntry.PostgresProvider).toBe('function');
    expect(typeof sqliteEntry.SqliteProvider).toBe('function');
  });
});
