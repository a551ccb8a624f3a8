/**
 * PostgreSQL outages: nothing listening, a hung server (every process of the
 * cluster stopped with SIGSTOP), killed (SIGKILL), restarted. Every failure
 * must be ERR_STORE_UNAVAILABLE within the deadline, with no unhandled
 * rejection, and the same provider and Pool serve again after the restart.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session } from '../../src/session/session.js';
import { Value } from '../../src/manager/value.js';
import { PostgresProvider } from '../../src/providers/sql/postgres.js';
import { sleep } from '../helpers/http.js';
import { postgresBinDir, startPostgres, type PostgresServer } from '../helpers/postgres.js';
import { freePort, killAtExit } from '../helpers/servers.js';
import { SECRET, fakeRes } from '../users/suite.js';
import { eventually, everyMethodUnavailable, sid, unavailable, unhandledRejections } from './fixtures.js';
import { postgresPool } from './sql-fixtures.js';

const unhandled = unhandledRejections();

/** The cluster's processes: the postmaster (from postmaster.pid) and its children (from /proc). */
function clusterPids(server: PostgresServer): number[] {
  const master = Number(readFileSync(join(server.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  const pids = [master];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === master) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Starts PostgreSQL again on the same data directory and port (as the helper does, as user postgres when root). */
async function restart(server: PostgresServer): Promise<ChildProcess> {
  const ids: { uid?: number; gid?: number } = {};
  if (process.getuid?.() === 0) {
    ids.uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    ids.gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  }
  const child = spawn(
    join(postgresBinDir(), 'postgres'),
    ['-D', join(server.dir, 'data'), '-p', String(server.port), '-k', server.dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=40', '-c', 'shared_buffers=16MB'],
    { ...ids, cwd: server.dir, stdio: 'ignore', env: { ...process.env, LC_ALL: 'C', LANG: 'C' } },
  );
  killAtExit(child);
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await gone;
  clearTimeout(timer);
}

/** Waits until process `pid` is gone (reaped), up to 10 s. */
async function waitGone(pid: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await sleep(100);
  }
  throw new Error(`process ${pid} did not exit`);
}

const pools: pg.Pool[] = [];
afterAll(async () => {
  for (const pool of pools) await pool.end().catch(() => {});
});

describe('postgres faults', () => {
  it('nothing listening: every method rejects with ERR_STORE_UNAVAILABLE within the timeout', async () => {
    const port = await freePort();
    const pool = postgresPool({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
    pools.push(pool);
    const p = new PostgresProvider(pool, { timeout: 500, ttl: 60, sweepInterval: 0 });
    await everyMethodUnavailable(p, 500 + 3000);
    await unavailable(() => p.users!.list('u', { indexTtl: 0 }), 3500);
    await unavailable(() => p.records.get('u'), 3500);
    await unavailable(() => p.records.put('u', 'x', null, 60), 3500);
  });

  const configs: Record<string, pg.PoolConfig> = {
    'pg defaults (no acquire or statement timeout)': { connectionTimeoutMillis: 0, statement_timeout: undefined },
    'recommended Pool options': {},
  };

  for (const [name, extra] of Object.entries(configs)) {
    describe(name, () => {
      let server: PostgresServer;
      let restarted: ChildProcess | null = null;
      beforeAll(async () => {
        server = await startPostgres();
      }, 60_000);
      afterAll(async () => {
        if (restarted) await stop(restarted);
        await server?.dispose();
      }, 30_000);

      it('hung (SIGSTOP), then killed (SIGKILL), then restarted: typed errors within the deadline, then the same Pool serves again', async () => {
        const pool = postgresPool(server.config, extra);
        pools.push(pool);
        const timeout = 1000;
        const bound = timeout + 3000;
        const p = new PostgresProvider(pool, { timeout, ttl: 60, sweepInterval: 0 });
        await p.createSchema();
        const session = new Session(p, { cookieSecret: SECRET, backend: 'node' });
        session.on('error', () => {});
        const fresh = new Session(p, { cookieSecret: SECRET, backend: 'node', onStoreError: 'fresh' });
        fresh.on('error', () => {});
        const res = fakeRes();
        const login = await session.login({ headers: {} }, res, 'faulty');
        login.getValue().set('before', 1);
        await login.save();
        const cookie = (res.getHeader('set-cookie') as string[])[0]!.split(';')[0]!;
        const id = sid();
        const s = await p.new(id, new Value({ before: 1 }));
        s.getValue().set('during', 1);

        const pids = clusterPids(server);
        signalAll(pids, 'SIGSTOP');
        try {
          await Promise.all([
            unavailable(() => p.restore(id, { touch: true }), bound),
            unavailable(() => p.new(sid()), bound),
            unavailable(() => s.setValue(s.getValue()), bound),
            unavailable(() => s.touch(), bound),
            unavailable(() => p.refresh(id, sid()), bound),
            unavailable(() => p.destroy(sid()), bound),
            unavailable(() => p.users!.list('faulty', { indexTtl: 0 }), bound),
            unavailable(() => p.records.get('faulty'), bound),
            unavailable(() => p.records.put('faulty', 'x', '1', 60), bound),
            unavailable(async () => session.start({ headers: { cookie } }, fakeRes()), bound),
          ]);
          // onStoreError 'fresh': a new session instead of an error
          const f = await fresh.start({ headers: { cookie } }, fakeRes());
          expect(f.isNew()).toBe(true);
        } finally {
          signalAll(pids, 'SIGKILL');
          signalAll(pids, 'SIGCONT');
        }
        await waitGone(pids[0]!);
        // killed: connections drop, reconnects are refused
        await unavailable(() => p.restore(id), bound);
        await unavailable(async () => session.start({ headers: { cookie } }, fakeRes()), bound);

        restarted = await restart(server);
        const back = await eventually(() => p.restore(id), 30_000);
        expect(back.getValue().get('before')).toBe(1);
        const again = await eventually(async () => session.start({ headers: { cookie } }, fakeRes()), 10_000);
        expect(again.isNew()).toBe(false);
        expect(again.userId()).toBe('faulty');
        expect(again.getValue().get('before')).toBe(1);
        const next = sid();
        await p.new(next, new Value({ after: true }));
        expect((await p.restore(next, { touch: true })).getValue().get('after')).toBe(true);
        expect(await session.userSessions('faulty')).toHaveLength(1);
        expect(await p.records.put('faulty-after', 'back', null, 60)).toBe(true);
        expect(await p.records.get('faulty-after')).toMatchObject({ text: 'back' });
      }, 90_000);
    });
  }

  it('saw no unhandled rejection', async () => {
    await sleep(300);
    expect(unhandled).toEqual([]);
  });
});
