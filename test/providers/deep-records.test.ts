/**
 * Issue 28: a stored record nested too deep (or not JSON at all), planted
 * directly in the real store, is a corrupt session on every provider: a 200
 * with a fresh session (`reason: 'corrupt'`), an `error` event with code
 * ERR_CORRUPT_RECORD, and the next save works. Never a 500, a 503 or a
 * RangeError. Plus the scan itself against JSON.parse's own view of depth.
 * PostgreSQL and SQLite rows are planted with SQL, a deep value both inside a
 * field's JSON string and nested in the `data` column itself.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type memjs from 'memjs';
import { createClient, type RedisClientType } from 'redis';
import { RedisStore } from 'connect-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionError } from '../../src/errors.js';
import { Session } from '../../src/session/session.js';
import { MAX_DEPTH, Value } from '../../src/manager/value.js';
import { CookieProvider } from '../../src/providers/cookie/provider.js';
import { ExpressStoreProvider, type ExpressStoreLike } from '../../src/providers/express-store/provider.js';
import { MemcacheProvider } from '../../src/providers/memcache/provider.js';
import { MemoryProvider } from '../../src/providers/memory/provider.js';
import { PostgresProvider } from '../../src/providers/sql/postgres.js';
import { nestsDeeperThan, parseBounded } from '../../src/providers/record.js';
import { RedisProvider } from '../../src/providers/redis/provider.js';
import { SqliteProvider } from '../../src/providers/sql/sqlite.js';
import { Client } from '../helpers/http.js';
import { memcachedSet, startMemcached, startRedis, type ServerProcess } from '../helpers/servers.js';
import { clusterPerFile, memjsClient, redisClient } from './fixtures.js';
import { postgresPerFile, sqlitePerFile } from './sql-fixtures.js';

const SECRET = 'deep-records-test-secret-0123456789abcdefghij';

/** A JSON value `levels` deep: arrays, or objects (one key, "" to keep it short). */
function deep(levels: number, kind: 'array' | 'object'): string {
  return kind === 'array' ? '['.repeat(levels) + ']'.repeat(levels) : '{"":'.repeat(levels) + '1' + '}'.repeat(levels);
}

interface Body {
  sid: string;
  isNew: boolean;
  reason: string | null;
  data: Record<string, unknown>;
}

interface Target {
  name: string;
  session: Session;
  /** Replaces the stored record of `sid` with one whose key `x` holds `json` (or, `raw`, with `json` itself). */
  plant(sid: string, json: string, raw: boolean): Promise<void>;
  /** Depths this store can hold (a cookie carries some 29 KB at most). */
  depths: number[];
  /**
   * SQL: replaces the row's whole `data` column with `{"a":"\"1\"","x":<json>}`,
   * the deep value nested in the column itself rather than inside a field's
   * JSON string (at the depths the target's `columnDepths` lists: what the column holds).
   */
  plantColumn?(sid: string, json: string): Promise<void>;
}

function app(session: Session, plantCookie?: boolean) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://x');
    res.setHeader('content-type', 'application/json');
    try {
      const store = await session.start(req, res);
      if (url.pathname === '/set') for (const [k, v] of url.searchParams) store.getValue().set(k, v);
      if (plantCookie === true && url.pathname === '/plant') {
        // The CookieProvider's store is the cookie: seal a record no Value.set would take (fromFieldMap checks nothing).
        const q = url.searchParams;
        const json = q.get('raw') === '1' ? null : deep(Number(q.get('levels')), q.get('kind') as 'array' | 'object');
        const v = json === null ? Value.fromFieldMap(new Map([['x', 'not json {']])) : Value.fromFieldMap(new Map([['a', '"1"'], ['x', json]]));
        await store.setValue(v);
        res.end('{}');
        return;
      }
      res.end(JSON.stringify({ sid: store.sessionID(), isNew: store.isNew(), reason: store.reason, data: store.getValue().toJSON() }));
    } catch (err) {
      res.statusCode = err instanceof SessionError && err.code === 'ERR_STORE_UNAVAILABLE' ? 503 : 500;
      res.end(JSON.stringify({ error: err instanceof SessionError ? err.code : String(err) }));
    }
  };
}

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Promise<{ url: string; close(): Promise<void> }> {
  // Room for a 10-chunk cookie (the CookieProvider target); the other targets send small headers.
  const server = createServer({ maxHeaderSize: 128 * 1024 }, (req, res) => void handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('nestsDeeperThan', () => {
  it('agrees with the depth JSON.parse sees, brackets in strings and escapes included', () => {
    const cases: Array<[string, number]> = [
      [deep(MAX_DEPTH, 'array'), MAX_DEPTH],
      [deep(MAX_DEPTH + 1, 'array'), MAX_DEPTH + 1],
      [deep(MAX_DEPTH + 1, 'object'), MAX_DEPTH + 1],
      [JSON.stringify({ s: '['.repeat(500), t: 'a\\"[[[' + '{'.repeat(300) }), 1],
      [JSON.stringify(['\\', '"', '\\\\"[', { k: ['x'.repeat(400)] }]), 3],
      [JSON.stringify({ '{{{{': '}}}}', n: [[[[1]]]] }) + ' '.repeat(300), 5],
    ];
    for (const [text, depth] of cases) {
      expect(JSON.parse(text)).toBeDefined();
      expect(nestsDeeperThan(text, depth), text.slice(0, 40)).toBe(false);
      expect(nestsDeeperThan(text, depth - 1), text.slice(0, 40)).toBe(true);
    }
    expect(() => parseBounded(deep(200_000, 'array'), 'x')).toThrow(expect.objectContaining({ code: 'ERR_CORRUPT_RECORD' }));
    expect(() => parseBounded('not json {', 'x')).toThrow(expect.objectContaining({ code: 'ERR_CORRUPT_RECORD' }));
    expect(parseBounded(deep(MAX_DEPTH, 'object'), 'x')).toBeTypeOf('object');
  });
});

// Servers shared by the targets below.
const cluster = clusterPerFile();
let redis: ServerProcess;
let memcached: ServerProcess;
let memcache: memjs.Client;
let redisCli: ReturnType<typeof redisClient>;
let nodeRedis: RedisClientType;
beforeAll(async () => {
  // Records of 200,000 nested objects are 1 MB: memcached's items may be 2 MB here.
  [redis, memcached] = await Promise.all([startRedis(), startMemcached({ maxItemSize: '2m' })]);
  redisCli = redisClient(redis.port);
  memcache = memjsClient([memcached.port]);
  nodeRedis = createClient({ socket: { host: '127.0.0.1', port: redis.port } });
  nodeRedis.on('error', () => {});
  await nodeRedis.connect();
}, 60_000);
afterAll(async () => {
  redisCli?.disconnect();
  memcache?.close();
  await nodeRedis?.quit().catch(() => {});
  await Promise.all([redis?.dispose(), memcached?.dispose()]);
});

const ALL = [129, 10_000, 200_000];
/** Depths PostgreSQL's jsonb input takes nested in the column itself (deeper: refused at insert, see below). */
const PG_COLUMN_DEPTHS = [129, 10_000];

const pgFile = postgresPerFile();
const liteFile = sqlitePerFile();

const targets: Array<{ name: string; make(): Target; columnDepths?: number[] }> = [
  {
    name: 'memory',
    make: () => {
      const provider = new MemoryProvider({ maxEntrySize: 8 * 1024 * 1024 });
      return {
        name: 'memory',
        session: new Session(provider, { cookieSecret: SECRET }),
        plant: async (sid, json, raw) => provider.poke(sid, raw ? json : `{"a":"1","x":${json}}`),
        depths: ALL,
      };
    },
  },
  {
    name: 'Redis',
    make: () => {
      const provider = new RedisProvider(redisCli);
      return {
        name: 'Redis',
        session: new Session(provider, { cookieSecret: SECRET }),
        plant: async (sid, json) => void (await redisCli.hset(provider.keyFor(sid), 'x', json)),
        depths: ALL,
      };
    },
  },
  {
    name: 'Redis Cluster',
    make: () => {
      const provider = new RedisProvider(cluster.client);
      return {
        name: 'Redis Cluster',
        session: new Session(provider, { cookieSecret: SECRET }),
        plant: async (sid, json) => void (await cluster.client.hset(provider.keyFor(sid), 'x', json)),
        depths: ALL,
      };
    },
  },
  {
    name: 'memcached',
    make: () => {
      const provider = new MemcacheProvider(memcache, { maxItemSize: 2 * 1024 * 1024 });
      return {
        name: 'memcached',
        session: new Session(provider, { cookieSecret: SECRET }),
        plant: (sid, json, raw) => memcachedSet(memcached.port, provider.keyFor(sid), raw ? json : `{"a":"1","x":${json}}`, 600),
        depths: ALL,
      };
    },
  },
  {
    name: 'express-store bridge (connect-redis)',
    make: () => {
      const prefix = 'deep:';
      const store = new RedisStore({ client: nodeRedis, prefix });
      const provider = new ExpressStoreProvider(store as unknown as ExpressStoreLike);
      const cookie = '{"originalMaxAge":600000,"expires":"2099-01-01T00:00:00.000Z","httpOnly":true,"path":"/"}';
      return {
        name: 'express-store',
        session: new Session(provider, { cookieSecret: SECRET, sessionExpire: 600 }),
        plant: async (sid, json, raw) => void (await nodeRedis.set(prefix + sid, raw ? json : `{"cookie":${cookie},"a":"1","x":${json}}`, { EX: 600 })),
        depths: ALL,
      };
    },
  },
  {
    name: 'PostgreSQL',
    make: () => {
      const provider = new PostgresProvider(pgFile.pool, { prefix: 'deep:', sweepInterval: 0 });
      const id = (sid: string): string => provider.keyFor(sid);
      return {
        name: 'PostgreSQL',
        session: new Session(provider, { cookieSecret: SECRET }),
        // A jsonb column holds only JSON: "not JSON" is planted as a field whose text is not JSON.
        plant: async (sid, json) =>
          void (await pgFile.pool.query(`UPDATE wasm_sessions SET data = data || jsonb_build_object('x', $2::text) WHERE id = $1`, [id(sid), json])),
        depths: ALL,
        plantColumn: async (sid, json) => void (await pgFile.pool.query(`UPDATE wasm_sessions SET data = $2::jsonb WHERE id = $1`, [id(sid), `{"a":"\\"1\\"","x":${json}}`])),
      };
    },
    columnDepths: PG_COLUMN_DEPTHS,
  },
  {
    name: 'SQLite',
    make: () => {
      const provider = new SqliteProvider(liteFile.db, { prefix: 'deep:', sweepInterval: 0 });
      const id = (sid: string): string => provider.keyFor(sid);
      return {
        name: 'SQLite',
        session: new Session(provider, { cookieSecret: SECRET }),
        plant: async (sid, json, raw) => {
          if (raw) liteFile.db.prepare('UPDATE wasm_sessions SET data = ? WHERE id = ?').run(json, id(sid));
          else liteFile.db.prepare(`UPDATE wasm_sessions SET data = json_set(data, '$.x', ?) WHERE id = ?`).run(json, id(sid));
        },
        depths: ALL,
        plantColumn: async (sid, json) => void liteFile.db.prepare('UPDATE wasm_sessions SET data = ? WHERE id = ?').run(`{"a":"\\"1\\"","x":${json}}`, id(sid)),
      };
    },
    columnDepths: ALL,
  },
];

for (const t of targets) {
  describe(`a deep or unreadable record on ${t.name}`, () => {
    let target: Target;
    let server: { url: string; close(): Promise<void> };
    const errors: string[] = [];
    beforeAll(async () => {
      target = t.make();
      target.session.on('error', (e) => errors.push(e.error instanceof SessionError ? e.error.code : `uncoded: ${String(e.error)}`));
      server = await serve(app(target.session));
    });
    afterAll(async () => {
      await server?.close();
      target?.session.dispose();
    });

    const cases: Array<{ label: string; json: string | (() => string); raw: boolean }> = [{ label: 'not JSON at all', json: 'not json {', raw: true }];
    for (const levels of ALL) for (const kind of ['array', 'object'] as const) cases.push({ label: `${kind}s ${levels} deep`, json: () => deep(levels, kind), raw: false });
    const columnCases: Array<{ label: string; json: () => string; column: true }> = [];
    for (const levels of t.columnDepths ?? []) {
      for (const kind of ['array', 'object'] as const) columnCases.push({ label: `the data column itself nesting ${kind}s ${levels} deep`, json: () => deep(levels, kind), column: true });
    }

    for (const c of [...cases, ...columnCases]) {
      it(`${c.label}: 200, a fresh session with reason 'corrupt', an ERR_CORRUPT_RECORD event; the next save works`, async () => {
        errors.length = 0;
        const client = new Client(server.url);
        const created = (await client.get('/set?a=1')).body;
        const sid = (JSON.parse(created) as Body).sid;
        const json = typeof c.json === 'string' ? c.json : c.json();
        if ('column' in c) await (target.plantColumn as (sid: string, json: string) => Promise<void>)(sid, json);
        else await target.plant(sid, json, c.raw);
        const res = await client.get('/set?b=2');
        expect(res.status, res.body).toBe(200);
        const body = JSON.parse(res.body) as Body;
        expect(body).toMatchObject({ isNew: true, reason: 'corrupt', data: { b: '2' } });
        expect(body.sid).not.toBe(sid);
        expect(errors).toEqual(['ERR_CORRUPT_RECORD']);
        const next = JSON.parse((await client.get('/state')).body) as Body;
        expect(next).toMatchObject({ sid: body.sid, isNew: false, reason: null, data: { b: '2' } });
      }, 30_000);
    }

    it(`a value exactly ${MAX_DEPTH} deep (what Value.set takes) restores`, async () => {
      errors.length = 0;
      const client = new Client(server.url);
      const sid = (JSON.parse((await client.get('/set?a=1')).body) as Body).sid;
      await target.plant(sid, deep(MAX_DEPTH, 'array'), false);
      const body = JSON.parse((await client.get('/state')).body) as Body;
      expect(body).toMatchObject({ sid, isNew: false, reason: null });
      expect(JSON.stringify(body.data.x)).toBe(deep(MAX_DEPTH, 'array'));
      expect(errors).toEqual([]);
    });
  });
}

describe('PostgreSQL jsonb and depth', () => {
  it('refuses a data column nested 200,000 deep at write time (stack depth limit exceeded), so no such row can be planted; the record stays as it was', async () => {
    const provider = new PostgresProvider(pgFile.pool, { prefix: 'deep-refused:', sweepInterval: 0 });
    await provider.new('sid-refused', Value.fromFieldMap(new Map([['a', '"1"']])));
    for (const kind of ['array', 'object'] as const) {
      const err = await pgFile.pool
        .query(`UPDATE wasm_sessions SET data = $2::jsonb WHERE id = $1`, [provider.keyFor('sid-refused'), `{"a":"\\"1\\"","x":${deep(200_000, kind)}}`])
        .then(() => null, (e: unknown) => e as { code?: string });
      // 54001: statement_too_complex ("stack depth limit exceeded", max_stack_depth).
      expect(err?.code).toBe('54001');
    }
    expect((await provider.restore('sid-refused')).getValue().toJSON()).toEqual({ a: '1' });
  });
});

describe("a deep or unreadable record in CookieProvider's sealed cookies", () => {
  let server: { url: string; close(): Promise<void> };
  let provider: CookieProvider;
  let session: Session;
  const errors: string[] = [];
  beforeAll(async () => {
    provider = new CookieProvider({ maxChunks: 10 });
    session = new Session(provider, { cookieSecret: SECRET });
    session.on('error', (e) => errors.push(e.error instanceof SessionError ? e.error.code : `uncoded: ${String(e.error)}`));
    server = await serve(app(session, true));
  });
  afterAll(async () => {
    await server?.close();
    session?.dispose();
    provider?.dispose();
  });

  // A cookie carries ~29 KB at most (10 chunks), and the test client takes 16 KB of response headers:
  // 200,000 or 10,000 levels cannot be sealed into one.
  const cases = [
    { label: 'not JSON at all', q: 'raw=1' },
    { label: 'arrays 129 deep', q: 'levels=129&kind=array' },
    { label: 'objects 129 deep', q: 'levels=129&kind=object' },
    { label: 'arrays 5,000 deep', q: 'levels=5000&kind=array' },
    { label: 'objects 2,000 deep', q: 'levels=2000&kind=object' },
  ];
  for (const c of cases) {
    it(`${c.label}: 200, reason 'corrupt', ERR_CORRUPT_RECORD; the next save works`, async () => {
      errors.length = 0;
      const client = new Client(server.url);
      expect((await client.get('/set?a=1')).status).toBe(200);
      const planted = await client.get(`/plant?${c.q}`);
      expect(planted.status, planted.body).toBe(200);
      const res = await client.get('/set?b=2');
      expect(res.status, res.body).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ isNew: true, reason: 'corrupt', data: { b: '2' } });
      expect(errors).toEqual(['ERR_CORRUPT_RECORD']);
      expect(JSON.parse((await client.get('/state')).body)).toMatchObject({ isNew: false, reason: null, data: { b: '2' } });
    });
  }
});
