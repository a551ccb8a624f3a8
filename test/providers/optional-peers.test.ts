/**
 * ioredis, iovalkey, redis (node-redis), memjs and pg are optional peers: no runtime import of any may be
 * reachable from the package's entry points (the providers take the client
 * from the app and only use the libraries' types).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const PEERS = new Set(['ioredis', 'iovalkey', 'redis', 'memjs', 'pg']);

/** Module specifiers `file` loads at runtime (type-only imports and exports excluded). */
function runtimeImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            clause.namedBindings !== undefined &&
            ts.isNamedImports(clause.namedBindings) &&
            clause.namedBindings.elements.length > 0 &&
            clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      if (!typeOnly) out.push(node.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      if (!node.isTypeOnly) out.push(node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === 'require')) &&
      node.arguments[0] !== undefined &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      out.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/** Every package a runtime import chain from `entry` reaches. */
function reachablePackages(entry: string): Set<string> {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const walk = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of runtimeImports(file)) {
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
        if (existsSync(target)) walk(target);
      } else {
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] as string));
      }
    }
  };
  walk(entry);
  return packages;
}

describe('optional peer dependencies', () => {
  for (const entry of ['src/index.ts', 'src/providers/redis/provider.ts', 'src/providers/memcache/provider.ts', 'src/providers/sql/postgres.ts']) {
    it(`${entry} never loads a store client (ioredis, iovalkey, redis, memjs, pg) at runtime`, () => {
      const file = resolve(ROOT, entry);
      expect(existsSync(file), `${entry} exists`).toBe(true);
      const reached = [...reachablePackages(file)].filter((p) => PEERS.has(p));
      expect(reached).toEqual([]);
    });
  }
});

describe('runtimes without Node built-ins', () => {
  // The root entry and the Web adapter must load on Web-standard runtimes: no
  // runtime import of node:* (the node backend and the module file are looked
  // up with process.getBuiltinModule when used).
  for (const entry of ['src/index.ts', 'src/adapters/web.ts', 'src/adapters/hono.ts']) {
    it(`${entry} imports no node: module at runtime`, () => {
      const reached = [...reachablePackages(resolve(ROOT, entry))].filter((p) => p.startsWith('node:'));
      expect(reached).toEqual([]);
    });
  }
});
