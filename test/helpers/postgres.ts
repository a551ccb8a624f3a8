/**
 * A throwaway PostgreSQL cluster for store tests: `initdb` in a temp dir and
 * `postgres` on a free loopback port (and a Unix socket in the same dir).
 * As root (CI), both run as the `postgres` user, since initdb refuses root.
 * Missing binaries fail naming the Debian package `postgresql`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
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
  /** The running postmaster's pid (null while stopped). */
  readonly pid: number | null;
  /**
   * Stops the server: `immediate` (SIGQUIT, what `pg_ctl -m immediate` sends: a crash or a failover as
   * the clients see it, connections cut) or `fast` (SIGINT: clients get 57P01 admin_shutdown). Resolves
   * once the postmaster has exited.
   */
  stop(mode: 'immediate' | 'fast'): Promise<void>;
  /** Starts it again on the same data directory and port; resolves once it answers. */
  start(): Promise<void>;
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
  const config: pg.PoolConfig = { host: '127.0.0.1', port, user: 'postgres', database: 'postgres' };
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();

  const launch = async (): Promise<void> => {
    const c = spawn(
      join(bin, 'postgres'),
      ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=40', '-c', 'shared_buffers=16MB'],
      { ...ids, env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = c;
    const untrack = killAtExit(c);
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-4000);
    };
    c.stdout?.on('data', keep);
    c.stderr?.on('data', keep);
    let gone = false;
    exited = new Promise<void>((resolve) =>
      c.once('exit', () => {
        gone = true;
        untrack();
        if (child === c) child = null;
        resolve();
      }),
    );
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (gone) throw new Error(`postgres exited early:\n${output}`);
      const client = new pg.Client(config);
      client.on('error', () => {});
      try {
        await client.connect();
        await client.query('SELECT 1');
        await client.end();
        return;
      } catch (err) {
        await client.end().catch(() => {});
        if (Date.now() > deadline) {
          c.kill('SIGKILL');
          throw new Error(`postgres on port ${port} not ready: ${String(err)}\n${output}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };

  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    const c = child;
    if (c === null) return;
    c.kill(signal);
    const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  try {
    await launch();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    port,
    dir,
    config,
    get pid() {
      return (child as ChildProcess | null)?.pid ?? null;
    },
    stop: (mode) => stop(mode === 'immediate' ? 'SIGQUIT' : 'SIGINT'),
    start: launch,
    async dispose() {
      // SIGINT: PostgreSQL's fast shutdown.
      await stop('SIGINT');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
