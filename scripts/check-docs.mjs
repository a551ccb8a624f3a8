#!/usr/bin/env node
// Type-checks every TypeScript block of README.md, docs/*.md and the TypeDoc
// examples in src/ against the built package (`wasm-session` resolves to
// dist/ through the package's own exports): each block becomes one module in
// test/docs-check/ and tsc compiles them all. A block may be skipped only with
// `<!-- docs-check: skip <reason> -->` on the line before it (printed below).
// Names a snippet may use without declaring them (the app's own logger and
// metrics) are in test/docs-check/globals.d.ts. Exit 1 on any error.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'test/docs-check');

function walk(dir, test) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'api' || e.name === 'node_modules' ? [] : walk(p, test);
    return test(p) ? [p] : [];
  });
}

const blocks = [];
const skipped = [];
const markdown = [join(root, 'README.md'), ...walk(join(root, 'docs'), (p) => p.endsWith('.md'))];
for (const file of markdown) {
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i])) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
    const skip = /<!--\s*docs-check:\s*skip\s+(.+?)\s*-->/.exec(lines[i - 1] ?? '');
    const where = `${relative(root, file)}:${start}`;
    if (skip) skipped.push(`${where} (${skip[1]})`);
    else blocks.push({ where, code: lines.slice(start, end).join('\n') });
    i = end;
  }
}
// TypeDoc examples: ```ts fences inside /** */ comments.
for (const file of walk(join(root, 'src'), (p) => p.endsWith('.ts'))) {
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*\*\s?```(ts|typescript)\s*$/.test(lines[i])) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^\s*\*\s?```\s*$/.test(lines[end])) end++;
    const code = lines.slice(start, end).map((l) => l.replace(/^\s*\*\s?/, '')).join('\n');
    blocks.push({ where: `${relative(root, file)}:${start}`, code });
    i = end;
  }
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
writeFileSync(
  join(out, 'globals.d.ts'),
  '// What doc snippets may use undeclared: the app\'s own logger and metrics.\n' +
    'declare const log: { debug(...a: unknown[]): void; info(...a: unknown[]): void; warn(...a: unknown[]): void; error(...a: unknown[]): void };\n' +
    'declare const metrics: { inc(name: string, labels?: Record<string, string>): void };\n',
);
// Blocks that augment `wasm-session` (declare SessionData) get a program of
// their own: an augmentation applies to every file of its program.
const programs = [{ dir: out, blocks: [] }];
blocks.forEach((b) => {
  if (/declare module ['"]wasm-session['"]/.test(b.code)) programs.push({ dir: join(out, `augment-${programs.length}`), blocks: [b] });
  else programs[0].blocks.push(b);
});
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
let failed = false;
let n = 0;
for (const program of programs) {
  mkdirSync(program.dir, { recursive: true });
  const names = new Map();
  for (const b of program.blocks) {
    const name = `block-${String(n++).padStart(3, '0')}.ts`;
    names.set(name, b.where);
    // A module of its own, whatever the snippet (names don't clash across blocks).
    writeFileSync(join(program.dir, name), `// ${b.where}\n${b.code}\nexport {};\n`);
  }
  const base = relative(program.dir, join(root, 'test/types/tsconfig.base.json'));
  const include = ['*.ts', relative(program.dir, join(out, 'globals.d.ts'))];
  writeFileSync(join(program.dir, 'tsconfig.json'), JSON.stringify({ extends: base, include: [...new Set(include)] }, null, 2));
  try {
    execFileSync(process.execPath, [tsc, '-p', join(program.dir, 'tsconfig.json'), '--pretty', 'false'], { cwd: root, encoding: 'utf8', stdio: 'pipe' });
  } catch (err) {
    failed = true;
    const text = String(err.stdout ?? err);
    // Point each error at the document line it came from.
    for (const line of text.split('\n').filter(Boolean)) {
      const m = /(block-\d+\.ts)\((\d+),(\d+)\): (.*)$/.exec(line);
      if (!m || !names.has(m[1])) {
        console.error(line);
        continue;
      }
      const [file, at] = names.get(m[1]).split(/:(?=\d+$)/);
      console.error(`${file}:${Number(at) + Number(m[2]) - 2}: ${m[4]}`);
    }
  }
}
console.log(`docs-check: ${blocks.length} TypeScript blocks compiled${skipped.length ? `; skipped ${skipped.length}: ${skipped.join('; ')}` : ''}`);
process.exit(failed ? 1 : 0);
