/**
 * Issue 39: every store stopped as a crash or a failover looks to the app
 * (connections cut: PostgreSQL's immediate shutdown, redis-server and
 * memcached killed), with requests in flight and with the app idle; and
 * PostgreSQL's fast shutdown (57P01 to every connection). The app runs in a
 * process of its own (apps/store-app.mjs, the built package, clients set up as
 * the docs say), so a crash is the process exiting. It must live, answer every
 * request 200 or a typed 503, never hand a known cookie a new empty session
 * while the store only failed (a logout not caused by the store), and serve
 * again once the store is back: a persistent store (PostgreSQL, Redis with
 * AOF) with every user still logged in.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../helpers/http.js';
import { startPostgres } from '../helpers/postgres.js';
import { killAtExit, startMemcached, startRedis } from '../helpers/servers.js';
import { eventually } from './fixtures.js';

const APP = fileURLToPath(new URL('./apps/store-app.mjs', import.meta.url));

/** A store server the test can cut and bring back. */
interface Store {
  readonly config: { host: string; port: number; [k: string]: unknown };
  /** Cut: the process gone, its connections with it. */
  kill(): Promise<void>;
  restart(): Promise<void>;
  dispose(): Promise<void>;
  /** Data survives a restart (users stay logged in). */
  readonly persistent: boolean;
  /** Also a fast shutdown (PostgreSQL's 57P01). */
  fast?(): Promise<void>;
}

const stores: Record<string, () => Promise<Store>> = {
  postgres: async () => {
    const s = await startPostgres();
    return {
      config: { ...s.config, host: '127.0.0.1', port: s.port },
      kill: () => s.stop('immediate'),
      restart: () => s.start(),
      dispose: () => s.dispose(),
      persistent: true,
      fast: () => s.stop('fast'),
    };
  },
  ioredis: async () => redisStore(),
  'node-redis': async () => redisStore(),
  memcached: async () => {
    const s = await startMemcached();
    return { config: { host: '127.0.0.1', port: s.port }, kill: () => s.stop('SIGKILL'), restart: () => s.start(), dispose: () => s.dispose(), persistent: false };
  },
};

async function redisStore(): Promise<Store> {
  const s = await startRedis({ persistent: true });
  return { config: { host: '127.0.0.1', port: s.port }, kill: () => s.stop('SIGKILL'), restart: () => s.start(), dispose: () => s.dispose(), persistent: true };
}

interface Tally {
  statuses: Map<number, number>;
  /** Requests answered 200 with a new session although the client sent a live cookie. */
  logouts: number;
}

/** `workers` loops over `clients`, GET /bump until `stop()` or `max` requests in all (bounded). */
function load(clients: Client[], workers: number, max: number): { tally: Tally; stop: () => Promise<void> } {
  const tally: Tally = { statuses: new Map(), logouts: 0 };
  let running = true;
  let sent = 0;
  const loops = Array.from({ length: workers }, async (_, w) => {
    for (let i = w; running && sent < max; i += workers) {
      sent++;
      const r = await clients[i % clients.length]!.get('/bump');
      tally.statuses.set(r.status, (tally.statuses.get(r.status) ?? 0) + 1);
      if (r.status === 200 && (JSON.parse(r.body) as { isNew: boolean }).isNew) tally.logouts++;
    }
  });
  return {
    tally,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

const until = async (cond: () => boolean, ms: number): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
};

const served = async (c: Client, path: string): Promise<{ isNew: boolean; user: string | null; n: number }> =>
  eventually(async () => {
    const got = await c.get(path);
    if (got.status !== 200) throw new Error(`status ${got.status}`);
    return JSON.parse(got.body) as { isNew: boolean; user: string | null; n: number };
  }, 30_000);

for (const [name, make] of Object.entries(stores)) {
  describe(`${name}: the store cut under the app (a crash, a failover): no crash, typed 503s, no logout, recovery`, () => {
    let store: Store;
    let app: ChildProcess;
    let url: string;
    let appOutput = '';

    beforeAll(async () => {
      store = await make();
      app = spawn(process.execPath, [APP, name], { env: { ...process.env, STORE_CONFIG: JSON.stringify(store.config) }, stdio: ['ignore', 'pipe', 'pipe'] });
      killAtExit(app);
      app.stderr?.on('data', (c: Buffer) => (appOutput = (appOutput + c.toString()).slice(-4000)));
      url = await new Promise<string>((resolve, reject) => {
        let out = '';
        app.stdout?.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /listening (\d+)/.exec(out);
          if (m) resolve(`http://127.0.0.1:${m[1]}`);
        });
        app.once('exit', (code) => reject(new Error(`the app exited at start (${String(code)}): ${appOutput}`)));
      });
    }, 60_000);

    afterAll(async () => {
      app?.kill('SIGKILL');
      await store?.dispose();
    }, 30_000);

    /** The app's process still runs (a crash would have ended it). */
    const alive = (): void => {
      expect(app.exitCode, `the app exited: ${appOutput}`).toBeNull();
      expect(app.signalCode, `the app was killed: ${appOutput}`).toBeNull();
    };

    it('cut with requests in flight, then while idle, twice over: the process lives, 200 or 503 only, then serves again', async () => {
      const clients = Array.from({ length: 12 }, () => new Client(url));
      for (const [i, c] of clients.entries()) expect((await c.get(`/login?user=u${i}`)).status).toBe(200);

      for (const round of [1, 2]) {
        // In flight: cut while 6 loops keep requests going.
        const busy = load(clients, 6, 20_000);
        await until(() => (busy.tally.statuses.get(200) ?? 0) >= 30, 10_000);
        await store.kill();
        // Requests go on against the dead store until a few have failed (bounded).
        await until(() => (busy.tally.statuses.get(503) ?? 0) >= 10, 15_000);
        await busy.stop();
        alive();
        const seen = JSON.stringify([...busy.tally.statuses]);
        expect(busy.tally.statuses.get(200) ?? 0, `round ${round}: ${seen}`).toBeGreaterThanOrEqual(30);
        expect(busy.tally.statuses.get(503) ?? 0, `round ${round}: ${seen}`).toBeGreaterThanOrEqual(10);
        expect([...busy.tally.statuses.keys()].sort(), `round ${round}: only 200 and 503: ${seen}`).toEqual([200, 503]);
        expect(busy.tally.logouts, `round ${round}: a known cookie answered with a new session`).toBe(0);

        // Back: the same app serves again (a persistent store: every user still logged in).
        await store.restart();
        for (const [i, c] of clients.entries()) {
          const r = await served(c, '/read');
          if (store.persistent) expect(r).toMatchObject({ isNew: false, user: `u${i}` });
        }
        if (!store.persistent) for (const [i, c] of clients.entries()) expect((await c.get(`/login?user=u${i}`)).status).toBe(200);

        // Idle: the app's connections die with nobody using them; then a request comes.
        await store.kill();
        await new Promise((r) => setTimeout(r, 500));
        alive();
        expect((await clients[0]!.get('/bump')).status).toBe(503);
        alive();
        await store.restart();
        await served(clients[0]!, '/read');
        if (!store.persistent) for (const [i, c] of clients.entries()) expect((await c.get(`/login?user=u${i}`)).status).toBe(200);
      }
      alive();
    }, 180_000);

    if (name === 'postgres') {
      it('fast shutdown (57P01 admin_shutdown to every connection) and restart: the same', async () => {
        const c = new Client(url);
        expect((await c.get('/login?user=fast')).status).toBe(200);
        const busy = load([c], 3, 5_000);
        await until(() => (busy.tally.statuses.get(200) ?? 0) >= 10, 10_000);
        await store.fast!();
        await until(() => (busy.tally.statuses.get(503) ?? 0) >= 5, 10_000);
        await busy.stop();
        alive();
        expect([...busy.tally.statuses.keys()].sort()).toEqual([200, 503]);
        expect(busy.tally.logouts).toBe(0);
        await store.restart();
        expect(await served(c, '/read')).toMatchObject({ isNew: false, user: 'fast' });
        alive();
      }, 120_000);
    }
  });
}
