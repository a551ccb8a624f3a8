/**
 * A throwaway PostgreSQL cluster for store tests: `initdb` in a temp dir and
 * `postgres` on a free loopback port (and a Unix socket in the same dir).
 * As root (CI), both run as the `postgres` user, since initdb refuses root.
 * Missing binaries fail naming the Debian package `postgresql`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, killAtExit } from './servers.js';


/** The directory with initdb and postgres (Debian keeps them out of PATH), or an error naming the package. */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (versions[0] !== undefined) return join(root, versions[0], 'bin');
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  const found = which.stdout.trim();
  if (which.status === 0 && found) return found.slice(0, found.lastIndexOf('/'));
  throw new Error('PostgreSQL server binaries (initdb, postgres) not found: apt-get install -y postgresql');
}

function runAs(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string): number => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  const gid = id('-g');
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error('running as root but there is no postgres user: apt-get install -y postgresql');
  return { uid, gid };
}

export interface PostgresServer {
  readonly port: number;
  readonly dir: string;
  /** Connection settings for `pg` (user postgres, database postgres, trust auth on loopback). */
  readonly config: pg.PoolConfig;
  dispose(): Promise<void>;
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const ids = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'wasm-session-pg-'));
  const data = join(dir, 'data');
  if (ids.uid !== undefined) chownSync(dir, ids.uid, ids.gid as number);
  const env = { ...process.env, LC_ALL: 'C', LANG: 'C' };
  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8'], { ...ids, env, encoding: 'utf8', cwd: dir });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (${String(init.status)}): ${init.stderr || init.stdout}`);
  }
  const port = await freePort();
  const child = spawn(
    join(bin, 'postgres'),
    ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=40', '-c', 'shared_buffers=16MB'],
    { ...ids, env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const untrack = killAtExit(child);
  let output = '';
  const keep = (c: Buffer): void => {
    output = (output + c.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  child.once('exit', () => {
    exited = true;
    untrack();
  });
  const config: pg.PoolConfig = { host: '127.0.0.1', port, user: 'postgres', database: 'postgres' };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`postgres exited early:\n${output}`);
    const client = new pg.Client(config);
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      break;
    } catch (err) {
      await client.end().catch(() => {});
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`postgres on port ${port} not ready: ${String(err)}\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    port,
    dir,
    config,
    async dispose() {
      if (!exited) {
        const gone = new Promise<void>((r) => child.once('exit', () => r()));
        // SIGINT: PostgreSQL's fast shutdown.
        child.kill('SIGINT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await gone;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
