/**
 * SQLite durability: a process killed with SIGKILL right after saves it was
 * told were done loses none of them (WAL; synchronous = NORMAL, the weakest
 * setting the docs allow: durable against a crash of the process).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteProvider } from '../../src/providers/sql/sqlite.js';
import { DatabaseSync } from './sql-fixtures.js';

const DIST = new URL('../../dist/', import.meta.url);

// The child: new sessions, then a per-key save of each, acknowledging each save on stdout once setValueSync returned.
const CHILD = `
const [dist, path] = process.argv.slice(1);
const { DatabaseSync } = await import('node:sqlite');
const { SqliteProvider } = await import(new URL('providers/sql/sqlite.js', dist).href);
const { Value } = await import(new URL('manager/value.js', dist).href);
const db = new DatabaseSync(path);
db.exec('PRAGMA synchronous = NORMAL');
const p = new SqliteProvider(db, { ttl: 600, sweepInterval: 0 });
p.createSchema();
for (let i = 0; ; i++) {
  const id = 'crash-' + i;
  const s = await p.new(id, new Value({ i }));
  s.getValue().set('saved', 'yes-' + i);
  if (!s.setValueSync(s.getValue())) throw new Error('not synchronous');
  process.stdout.write('ACK ' + id + '\\n');
}
`;

describe('sqlite: SIGKILL after acknowledged saves', () => {
  it('every acknowledged save is in the database after the writer is killed', async () => {
    expect(existsSync(new URL('providers/sql/sqlite.js', DIST)), 'dist/ is built (npm run build)').toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'wasm-session-crash-'));
    try {
      const path = join(dir, 'sessions.db');
      const child = spawn(process.execPath, ['--no-warnings', '--input-type=module', '-e', CHILD, DIST.href, path], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const acked: string[] = [];
      let buffered = '';
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (c: Buffer) => {
          buffered += c.toString();
          const lines = buffered.split('\n');
          buffered = lines.pop() ?? '';
          for (const line of lines) if (line.startsWith('ACK ')) acked.push(line.slice(4));
          // Killed mid-stream, while it is still writing.
          if (acked.length >= 300 && child.exitCode === null && child.signalCode === null) {
            child.kill('SIGKILL');
            resolve();
          }
        });
        child.once('exit', () => (acked.length >= 300 ? resolve() : reject(new Error(`writer exited early: ${stderr}`))));
      });
      expect(await exited).toBe('SIGKILL');
      const db = new DatabaseSync(path);
      try {
        const p = new SqliteProvider(db, { ttl: 600, sweepInterval: 0 });
        for (const id of acked) {
          const i = Number(id.slice('crash-'.length));
          expect(p.restoreSync(id).getValue().toJSON(), id).toEqual({ i, saved: 'yes-' + i });
        }
      } finally {
        db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
