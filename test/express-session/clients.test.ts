/**
 * The middleware and stores people run with express-session, as npm installs
 * them, on real servers: passport 0.7 + passport-local, connect-flash and
 * csrf-sync (test/express-session/clients-app.cjs, a CommonJS app), on
 * express-session's MemoryStore, memorystore, session-file-store, connect-redis
 * 9 (node-redis) and 8 (ioredis: 9 dropped it) on redis-server, and
 * connect-pg-simple on PostgreSQL. Every scenario runs against express-session
 * itself (the control) and against wasm-session/express-session in both
 * cookie formats, with the same expectations.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisStore } from 'connect-redis';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createClient, type RedisClientType } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ours from '../../src/express-session/index.js';
import { Client, json, listen, type TestResponse, type TestServer } from '../helpers/http.js';
import { startPostgres, type PostgresServer } from '../helpers/postgres.js';
import { startRedis, type ServerProcess } from '../helpers/servers.js';
import type { StoreHandle } from './stores.js';

const require = createRequire(import.meta.url);
type Factory = ((options: object) => unknown) & { MemoryStore: new () => StoreHandle };
type StoreCtor = new (options: object) => StoreHandle;
const expressSession = require('express-session') as Factory;
const { clientsApp } = require('./clients-app.cjs') as { clientsApp(mw: unknown): Parameters<typeof listen>[0] };
const RedisStore8 = (require('connect-redis-8') as { RedisStore: StoreCtor }).RedisStore;

const SECRET = 'a test secret that is at least 32 characters';

interface Impl {
  readonly name: string;
  readonly factory: Factory;
  readonly extra: object;
}
const impls: Impl[] = [
  { name: 'express-session (control)', factory: expressSession, extra: {} },
  { name: 'wasm-session/express-session', factory: ours as unknown as Factory, extra: {} },
  { name: "wasm-session/express-session, cookieFormat 'signed'", factory: ours as unknown as Factory, extra: { cookieFormat: 'signed' } },
];

// One redis-server and one PostgreSQL for the file.
let redis: ServerProcess;
let nodeRedis: RedisClientType;
let ioredis: Redis;
let postgres: PostgresServer;
let pool: pg.Pool;
let fileDir: string;
beforeAll(async () => {
  [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
  nodeRedis = createClient({ socket: { host: '127.0.0.1', port: redis.port } });
  nodeRedis.on('error', () => {});
  await nodeRedis.connect();
  ioredis = new Redis({ host: '127.0.0.1', port: redis.port, lazyConnect: true, maxRetriesPerRequest: 1 });
  await ioredis.connect();
  pool = new pg.Pool({ ...postgres.config, max: 4 });
  pool.on('error', () => {});
  fileDir = mkdtempSync(join(tmpdir(), 'wasm-session-file-store-'));
}, 60_000);
afterAll(async () => {
  await nodeRedis?.quit().catch(() => {});
  ioredis?.disconnect();
  await pool?.end().catch(() => {});
  await Promise.all([redis?.dispose(), postgres?.dispose()]);
  if (fileDir) rmSync(fileDir, { recursive: true, force: true });
});

interface StoreCase {
  readonly name: string;
  make(factory: Factory, tag: string): { store: StoreHandle; close(): void };
}
const noop = (): void => {};
const storeCases: StoreCase[] = [
  { name: 'the MemoryStore of the factory', make: (f) => ({ store: new f.MemoryStore(), close: noop }) },
  {
    name: 'memorystore',
    make: (f) => {
      const Ctor = (require('memorystore') as (s: unknown) => new (o: object) => StoreHandle & { stopInterval(): void })(f);
      const store = new Ctor({ checkPeriod: 60_000 });
      return { store, close: () => store.stopInterval() };
    },
  },
  {
    name: 'session-file-store',
    make: (f, tag) => {
      const Ctor = (require('session-file-store') as (s: unknown) => StoreCtor)(f);
      return { store: new Ctor({ path: join(fileDir, tag), retries: 0, reapInterval: -1, logFn: noop }), close: noop };
    },
  },
  { name: 'connect-redis 9 (node-redis, redis-server)', make: (_f, tag) => ({ store: new RedisStore({ client: nodeRedis, prefix: `r9:${tag}:` }) as unknown as StoreHandle, close: noop }) },
  { name: 'connect-redis 8 (ioredis, redis-server)', make: (_f, tag) => ({ store: new RedisStore8({ client: ioredis, prefix: `r8:${tag}:` }), close: noop }) },
  {
    name: 'connect-pg-simple (PostgreSQL)',
    make: (f) => {
      const Ctor = (require('connect-pg-simple') as (s: unknown) => StoreCtor)(f);
      // One table for all (its CREATE INDEX name is fixed); the session IDs are random.
      return { store: new Ctor({ pool, createTableIfMissing: true, pruneSessionInterval: false, errorLog: noop }), close: noop };
    },
  },
];

/** The record under `sid`, read through the store; null when there is none (session-file-store says ENOENT). */
function readRecord(store: StoreHandle, sid: string): Promise<Record<string, unknown> | null | undefined> {
  return new Promise((resolve, reject) => {
    store.get(sid, (err, s) => {
      if (err && (err as { code?: unknown }).code === 'ENOENT') resolve(null);
      else if (err) reject(err instanceof Error ? err : new Error(String(err)));
      else resolve(s);
    });
  });
}

interface State {
  id: string;
  user: string | null;
  messages: string[];
  cart: string | null;
  returnTo: string | null;
}

const post = (c: Client, path: string, form: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<TestResponse> =>
  c.request(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(form).toString() });

let n = 0;
for (const impl of impls) {
  for (const sc of storeCases) {
    describe(`${impl.name} on ${sc.name}`, () => {
      let server: TestServer;
      let store: StoreHandle;
      let close = noop;
      beforeAll(async () => {
        const made = sc.make(impl.factory, `t${++n}`);
        store = made.store;
        close = made.close;
        const mw = impl.factory({ secret: SECRET, store, resave: false, saveUninitialized: false, cookie: { maxAge: 600_000 }, ...impl.extra });
        server = await listen(clientsApp(mw));
      });
      afterAll(async () => {
        await server?.close();
        close();
      });
      const state = async (c: Client): Promise<State> => json<State>(await c.get('/state'));

      it('passport: returnTo, failureMessage, login regenerates and saves (keepSessionInfo keeps the data), logout(cb) regenerates', async () => {
        const c = new Client(server.url);
        const first = await c.get('/private');
        expect(first.status).toBe(302);
        expect(first.headers.location).toBe('/login');

        const bad = await post(c, '/login', { username: 'ada', password: 'wrong' });
        expect(bad.status).toBe(302);
        expect(bad.headers.location).toBe('/login');
        expect((await state(c)).messages).toEqual(['Bad credentials']);

        await c.get('/cart?item=book');
        const before = await state(c);
        expect(before).toMatchObject({ user: null, cart: 'book', returnTo: '/private' });

        const ok = await post(c, '/login', { username: 'ada', password: 'lovelace' });
        expect(ok.status).toBe(302);
        expect(ok.headers.location).toBe('/private');
        const after = await state(c);
        expect(after).toMatchObject({ user: 'ada', cart: 'book', messages: ['Bad credentials'], returnTo: null });
        expect(after.id).not.toBe(before.id);
        expect(await readRecord(store, before.id)).toBeFalsy();
        expect(await readRecord(store, after.id)).toMatchObject({ passport: { user: '1' }, cart: 'book' });
        expect(json<{ user: string }>(await c.get('/private')).user).toBe('ada');

        const out = await post(c, '/logout');
        expect(out.status).toBe(302);
        expect(out.headers.location).toBe('/');
        const gone = await state(c);
        expect(gone.user).toBeNull();
        expect(gone.id).not.toBe(after.id);
        expect(await readRecord(store, after.id)).toBeFalsy();
        expect((await c.get('/private')).status).toBe(302);
      });

      it('passport without keepSessionInfo: the pre-login data is gone after login', async () => {
        const c = new Client(server.url);
        await c.get('/cart?item=book');
        const ok = await post(c, '/login-plain', { username: 'ada', password: 'lovelace' });
        expect(ok.headers.location).toBe('/');
        expect(await state(c)).toMatchObject({ user: 'ada', cart: null });
      });

      it('connect-flash: a message survives one redirect and is read once', async () => {
        const c = new Client(server.url);
        const r = await c.get('/flash');
        expect(r.status).toBe(302);
        expect(json<{ info: string[] }>(await c.get('/show')).info).toEqual(['saved!']);
        expect(json<{ info: string[] }>(await c.get('/show')).info).toEqual([]);
      });

      it("csrf-sync: the session's token passes, a missing or another session's token is refused", async () => {
        const c = new Client(server.url);
        const other = new Client(server.url);
        const token = json<{ token: string }>(await c.get('/csrf')).token;
        const otherToken = json<{ token: string }>(await other.get('/csrf')).token;
        expect(token).not.toBe(otherToken);
        expect((await post(c, '/transfer', {}, { 'x-csrf-token': token })).status).toBe(200);
        expect((await post(c, '/transfer')).status).toBe(403);
        expect((await post(c, '/transfer', {}, { 'x-csrf-token': otherToken })).status).toBe(403);
        expect((await post(other, '/transfer', {}, { 'x-csrf-token': otherToken })).status).toBe(200);
      });
    });
  }
}
