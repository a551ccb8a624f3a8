// A throwaway PostgreSQL cluster for the PostgreSQL rows: initdb in a temp dir,
// postgres on a free loopback port (as user postgres when run as root), the
// schemas of both stores created. Says plainly when the binaries are missing.
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../../test/helpers/loopback.js';

function binDir() {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? null : join(root, versions[0], 'bin');
}

function runAs() {
  if (process.getuid?.() !== 0) return {};
  const id = (flag) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** Starts PostgreSQL; resolves { server: { port, version, stop() } } or { server: null, reason }. */
export async function startPostgres() {
  const bin = binDir();
  if (!bin) return { server: null, reason: 'PostgreSQL server binaries not found (Debian/Ubuntu: apt-get install -y postgresql): the PostgreSQL rows are not run' };
  const ids = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'wasm-session-bench-pg-'));
  if (ids.uid !== undefined) chownSync(dir, ids.uid, ids.gid);
  const env = { ...process.env, LC_ALL: 'C', LANG: 'C' };
  const data = join(dir, 'data');
  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8'], { ...ids, env, cwd: dir, encoding: 'utf8' });
  if (init.status !== 0) return { server: null, reason: `initdb failed: ${init.stderr}` };
  const port = await freePort();
  // The same settings for both stores; fsync off as in the tests (the rows compare the libraries, not the disk).
  const child = spawn(join(bin, 'postgres'), ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=60'], { ...ids, env, cwd: dir, stdio: 'ignore' });
  const config = { host: '127.0.0.1', port, user: 'postgres', database: 'postgres' };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const client = new pg.Client(config);
    try {
      await client.connect();
      await client.end();
      break;
    } catch (err) {
      await client.end().catch(() => {});
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        return { server: null, reason: `postgres did not start: ${err.message}` };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const client = new pg.Client(config);
  await client.connect();
  const version = (await client.query('SHOW server_version')).rows[0].server_version;
  // connect-pg-simple's own table, as its README says to create it.
  const require = createRequire(import.meta.url);
  await client.query(readFileSync(join(require.resolve('connect-pg-simple'), '..', 'table.sql'), 'utf8'));
  await client.end();
  const { PostgresProvider } = await import('../../dist/providers/sql/postgres.js');
  const pool = new pg.Pool(config);
  await new PostgresProvider(pool, { sweepInterval: 0 }).createSchema();
  await pool.end();
  return {
    server: {
      port,
      version,
      stop() {
        child.kill('SIGINT');
        setTimeout(() => {
          child.kill('SIGKILL');
          rmSync(dir, { recursive: true, force: true });
        }, 3000).unref();
      },
    },
  };
}
