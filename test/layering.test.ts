// The source's import graph (DEVELOPERS.md: "adapters → providers → manager →
// crypto → errors, no arrow back up, no import circle"). Read from the
// sources themselves, type-only imports included: a type circle is still a
// circle to a reader, and it is how runtime ones start.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

interface Edge {
  readonly to: string;
  readonly typeOnly: boolean;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** Relative imports and re-exports of every file under src/, as paths relative to src/ (`manager/store.ts`). */
function graph(): Map<string, Edge[]> {
  const out = new Map<string, Edge[]>();
  const files = sources(SRC);
  const known = new Set(files.map((f) => relative(SRC, f)));
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const edges: Edge[] = [];
    for (const m of text.matchAll(/^(?:import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"](\.{1,2}\/[^'"]+)['"]/gm)) {
      const to = relative(SRC, normalize(join(dirname(file), (m[2] as string).replace(/\.js$/, '.ts'))));
      if (!known.has(to)) throw new Error(`${relative(SRC, file)} imports ${m[2]}, which is not a source file`);
      // `import { type A, type B }` is type-only too.
      const named = /\{([^}]*)\}/.exec(m[0])?.[1];
      const allTypes = named !== undefined && named.trim() !== '' && named.split(',').every((n) => n.trim() === '' || n.trim().startsWith('type '));
      edges.push({ to, typeOnly: m[1] !== undefined || allTypes });
    }
    out.set(relative(SRC, file), edges);
  }
  return out;
}

/** Strongly connected components of more than one file (Tarjan). */
function circles(g: Map<string, Edge[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const { to } of g.get(v) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(v, Math.min(low.get(v) as number, low.get(to) as number));
      } else if (onStack.has(to)) low.set(v, Math.min(low.get(v) as number, index.get(to) as number));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) found.push(scc.sort());
    }
  };
  for (const v of g.keys()) if (!index.has(v)) visit(v);
  return found;
}

const room = (file: string): string => (file.includes('/') ? (file.split('/')[0] as string) : file);

/** The store folder of a file under providers/ (`redis` for `providers/redis/cache.ts`); null for the shared contracts (`providers/provider.ts`). */
const store = (file: string): string | null => /^providers\/([^/]+)\//.exec(file)?.[1] ?? null;

/**
 * Whether an import runs back up. Floors, top down: adapters; dbsc, csrf,
 * express-session; session (the `Session` facade); users; providers (the
 * shared contracts, then one folder per store); manager (the lifecycle);
 * crypto; errors. A store imports the shared contracts and its own files,
 * never another store's; below the stores, only the shared contracts' types.
 */
function backUp({ from, to, typeOnly }: { from: string; to: string; typeOnly: boolean }): boolean {
  const [a, b] = [room(from), room(to)];
  if (a === 'providers' && b === 'providers') return store(to) !== null && store(to) !== store(from);
  if (a === b || to === 'errors.ts') return false;
  if (to === 'index.ts') return true; // the package entry is for users, not for the library's own modules
  if (from === 'errors.ts') return true;
  const shared = b === 'providers' && store(to) === null;
  switch (a) {
    case 'crypto':
      return true;
    case 'manager':
      return !(b === 'crypto' || (shared && typeOnly));
    case 'providers':
      return !(b === 'crypto' || b === 'manager');
    case 'users':
      return !(b === 'crypto' || b === 'manager' || shared);
    case 'session':
      return !(b === 'crypto' || b === 'manager' || shared || b === 'users');
    case 'dbsc':
    case 'csrf':
    case 'express-session':
      return b === 'adapters' || b === 'dbsc' || b === 'csrf' || b === 'express-session';
    default:
      return false;
  }
}

describe('the source import graph', () => {
  const g = graph();
  const all = [...g].flatMap(([from, edges]) => edges.map((e) => ({ from, ...e })));

  it('reads the imports it should (a check that could not fail would prove nothing)', () => {
    expect(g.size).toBeGreaterThan(50);
    expect(all).toContainEqual({ from: 'manager/store.ts', to: 'manager/core.ts', typeOnly: true });
    expect(all).toContainEqual({ from: 'manager/store.ts', to: 'manager/renewal.ts', typeOnly: false });
    // A made-up circle is found.
    const circle = new Map<string, Edge[]>([
      ['a.ts', [{ to: 'b.ts', typeOnly: true }]],
      ['b.ts', [{ to: 'a.ts', typeOnly: false }]],
    ]);
    expect(circles(circle)).toEqual([['a.ts', 'b.ts']]);
  });

  it('has no import circle, type-only imports included', () => {
    expect(circles(g)).toEqual([]);
  });

  it('finds an arrow back up where there is one (made-up imports)', () => {
    const up = (from: string, to: string, typeOnly = false): boolean => backUp({ from, to, typeOnly });
    // One store into another, either way round, type-only too; the shared contracts into a store.
    expect(up('providers/redis/provider.ts', 'providers/memory/records.ts')).toBe(true);
    expect(up('providers/sql/postgres.ts', 'providers/redis/cache.ts', true)).toBe(true);
    expect(up('providers/meta.ts', 'providers/cookie/users.ts', true)).toBe(true);
    // The lifecycle into the user layer, or into the facade above it, type-only too.
    expect(up('manager/session.ts', 'users/limits.ts')).toBe(true);
    expect(up('manager/host.ts', 'users/sessions.ts', true)).toBe(true);
    expect(up('manager/store.ts', 'session/session.ts', true)).toBe(true);
    // The lifecycle into a store, even for a type; into the shared contracts at run time.
    expect(up('manager/core.ts', 'providers/redis/provider.ts', true)).toBe(true);
    expect(up('manager/core.ts', 'providers/provider.ts')).toBe(true);
    // The user layer into the facade or a store; a store into the user layer.
    expect(up('users/sessions.ts', 'session/session.ts', true)).toBe(true);
    expect(up('users/record.ts', 'providers/memory/provider.ts')).toBe(true);
    expect(up('providers/cookie/users.ts', 'users/record.ts')).toBe(true);
    // What the floors allow.
    expect(up('providers/redis/provider.ts', 'providers/redis/cache.ts')).toBe(false);
    expect(up('providers/sql/postgres.ts', 'providers/sql/common.ts')).toBe(false);
    expect(up('providers/redis/provider.ts', 'providers/provider.ts')).toBe(false);
    expect(up('manager/core.ts', 'providers/provider.ts', true)).toBe(false);
    expect(up('session/session.ts', 'users/limits.ts')).toBe(false);
    expect(up('express-session/store-access.ts', 'providers/express-store/provider.ts')).toBe(false);
  });

  it('has no arrow back up: no store imports another, the manager neither the user layer nor the facade, errors nothing, crypto only errors', () => {
    expect(all.filter(backUp)).toEqual([]);
  });
});
