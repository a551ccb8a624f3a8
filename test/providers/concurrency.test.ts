/**
 * Issue 30: login and refresh are a move exactly one request wins, on
 * memory, Redis, Redis Cluster and memcached (the scenarios: concurrency-suite.ts);
 * memcached saves merge per key with check-and-set. Over HTTP with cookie
 * jars, on real servers.
 */
import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type memjs from 'memjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionError } from '../../src/errors.js';
import { Session } from '../../src/session/session.js';
import { Value } from '../../src/manager/value.js';
import { MemcacheProvider, type MemjsClient } from '../../src/providers/memcache/provider.js';
import { MemoryProvider } from '../../src/providers/memory/provider.js';
import { CLAIM_SCRIPT, RedisProvider } from '../../src/providers/redis/provider.js';
import { Client } from '../helpers/http.js';
import { memcachedGet, memcachedSet, rawCommand, startMemcached, startRedis, type ServerProcess } from '../helpers/servers.js';
import { Gate, SECRET, body, closers, loginMoveSuite, serve, type Backend } from './concurrency-suite.js';
import { clusterPerFile, memjsClient, redisClient } from './fixtures.js';

// Servers.
const cluster = clusterPerFile();
let redis: ServerProcess;
let memcached: ServerProcess;
let redisCli: Redis;
let memcache: memjs.Client;
let memcache2: memjs.Client;
beforeAll(async () => {
  [redis, memcached] = await Promise.all([startRedis(), startMemcached()]);
  redisCli = redisClient(redis.port);
  memcache = memjsClient([memcached.port]);
  // A second client: a second app process, as far as check-and-set can tell.
  memcache2 = memjsClient([memcached.port]);
}, 60_000);
afterAll(async () => {
  redisCli?.disconnect();
  memcache?.close();
  memcache2?.close();
  await Promise.all([redis?.dispose(), memcached?.dispose()]);
});

let round = 0;


const claimSha = createHash('sha1').update(CLAIM_SCRIPT.lua).digest('hex');

/** A client (or cluster) whose claim script waits at `gate`: ioredis's script method, or node-redis's EVALSHA/EVAL of it. */
function heldClaims<C extends Redis | Cluster>(client: C, gate: Gate | undefined): C {
  if (gate === undefined) return client;
  const isClaim = (args: unknown[]): boolean => {
    const cmd = args.find(Array.isArray) as unknown[] | undefined;
    return cmd !== undefined && ((cmd[0] === 'EVALSHA' && cmd[1] === claimSha) || (cmd[0] === 'EVAL' && cmd[1] === CLAIM_SCRIPT.lua));
  };
  return new Proxy(client, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target) as unknown;
      if (prop === CLAIM_SCRIPT.name && typeof v === 'function') {
        return (...args: unknown[]) => gate.pass().then(() => (v as (...a: unknown[]) => Promise<unknown>).apply(target, args));
      }
      if (prop === 'sendCommand' && typeof v === 'function' && typeof (target as { defineCommand?: unknown }).defineCommand !== 'function') {
        const send = v as (...a: unknown[]) => Promise<unknown>;
        return (...args: unknown[]) => (isClaim(args) ? gate.pass().then(() => send.apply(target, args)) : send.apply(target, args));
      }
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** memjs whose login claim (a check-and-set REPLACE by a claim record) waits at `gate`. */
function heldMemjs(client: memjs.Client, gate: Gate | undefined): MemjsClient {
  if (gate === undefined) return client as unknown as MemjsClient;
  return {
    get seq() {
      return client.seq;
    },
    incrSeq: () => client.incrSeq(),
    perform: (key, request, seq, callback) => {
      if (request[1] === 0x03 && request.includes('"a":"!')) {
        void gate.pass().then(() => client.perform(key, request, seq, callback as never));
        return;
      }
      client.perform(key, request, seq, callback as never);
    },
  };
}

/** Redis keys of one prefix that are live sessions (not aliases, indexes or tombstones) holding `key`. */
async function redisCopies(clients: Redis[], prefix: string, key: string): Promise<number> {
  let n = 0;
  for (const c of clients) {
    for (const k of await c.keys(`${prefix}*`)) {
      if (k.startsWith(`${prefix}user:`) || k.startsWith(`${prefix}revoked:`)) continue;
      const h = await c.hgetall(k);
      if (h.__wsa === undefined && h[key] !== undefined) n++;
    }
  }
  return n;
}

async function memcachedCopies(prefix: string, key: string): Promise<number> {
  const dump = await rawCommand(memcached.port, 'lru_crawler metadump hash\r\n', (a) => a.endsWith('END\r\n'), 5000);
  let n = 0;
  for (const m of dump.matchAll(/^key=(\S+)/gm)) {
    const k = decodeURIComponent(m[1] as string);
    if (!k.startsWith(prefix) || k.startsWith(`${prefix}user:`) || k.startsWith(`${prefix}revoked:`)) continue;
    const data = await memcachedGet(memcached.port, k);
    if (data === undefined) continue;
    const nl = data.startsWith('#ws1 ') ? data.indexOf('\n') : -1;
    if (nl >= 0 && /"a":/.test(data.slice(0, nl))) continue; // an alias or claim
    const record = JSON.parse(data.slice(nl + 1)) as Record<string, unknown>;
    if (record[key] !== undefined) n++;
  }
  return n;
}

const backends: Backend[] = [
  {
    name: 'memory',
    make: () => ({ provider: new MemoryProvider(), copies: async () => Number.NaN }),
  },
  {
    name: 'Redis',
    make: (claim) => {
      const prefix = `c${++round}:`;
      return { provider: new RedisProvider(heldClaims(redisCli, claim), { prefix }), copies: (key) => redisCopies([redisCli], prefix, key) };
    },
  },
  {
    name: 'Redis Cluster',
    make: (claim) => {
      const prefix = `c${++round}:`;
      return { provider: new RedisProvider(heldClaims(cluster.client, claim), { prefix }), copies: (key) => redisCopies(cluster.admin.nodes('master'), prefix, key) };
    },
  },
  {
    name: 'memcached',
    make: (claim) => {
      const prefix = `c${++round}:`;
      return { provider: new MemcacheProvider(heldMemjs(memcache, claim), { prefix }), copies: (key) => memcachedCopies(prefix, key) };
    },
  },
];


for (const b of backends) loginMoveSuite(b);

describe('memcached: saves merge per key with check-and-set', () => {
  async function twoApps(): Promise<{ urls: [string, string]; errors: string[] }> {
    const prefix = `m${++round}:`;
    const errors: string[] = [];
    const urls: string[] = [];
    for (const client of [memcache, memcache2]) {
      const session = new Session(new MemcacheProvider(client, { prefix }), { cookieSecret: SECRET });
      session.on('error', (e) => errors.push(e.error instanceof SessionError ? e.error.code : String(e.error)));
      closers.push(async () => session.dispose());
      urls.push(await serve(session));
    }
    return { urls: urls as [string, string], errors };
  }

  it('64 parallel requests over two app processes, each setting its own key: all 64 kept', async () => {
    const { urls, errors } = await twoApps();
    const client = new Client(urls[0]);
    const created = body(await client.get('/set?base=1'));
    const cookie = (await client.jar.getCookieString(urls[0])) as string;
    const responses = await Promise.all(Array.from({ length: 64 }, (_, i) => new Client(urls[i % 2] as string).get(`/set?k${i}=${i}`, { headers: { cookie } })));
    for (const r of responses) {
      expect(r.status, r.body).toBe(200);
      expect(body(r).sid).toBe(created.sid);
    }
    const after = body(await new Client(urls[1]).get('/state', { headers: { cookie } }));
    const expected: Record<string, string> = { base: '1' };
    for (let i = 0; i < 64; i++) expected[`k${i}`] = String(i);
    expect(after.data).toEqual(expected);
    expect(errors).toEqual([]);
  }, 60_000);

  it('16 parallel requests setting one key: all 200, one value wins, the other keys are kept', async () => {
    const { urls, errors } = await twoApps();
    const client = new Client(urls[0]);
    body(await client.get('/set?base=1&other=2'));
    const cookie = (await client.jar.getCookieString(urls[0])) as string;
    const responses = await Promise.all(Array.from({ length: 16 }, (_, i) => new Client(urls[i % 2] as string).get(`/set?same=${i}`, { headers: { cookie } })));
    for (const r of responses) expect(r.status, r.body).toBe(200);
    const after = body(await client.get('/state'));
    expect(Object.keys(after.data).sort()).toEqual(['base', 'other', 'same']);
    expect(after.data).toMatchObject({ base: '1', other: '2' });
    expect(Array.from({ length: 16 }, (_, i) => String(i))).toContain(after.data.same);
    expect(errors).toEqual([]);
  }, 60_000);

  it('round trips: a restore is one (GAT); a save nobody raced is one (REPLACE with the CAS the restore got)', async () => {
    let performs = 0;
    const counting: MemjsClient = {
      get seq() {
        return memcache.seq;
      },
      incrSeq: () => memcache.incrSeq(),
      perform: (key, request, seq, callback) => {
        performs++;
        memcache.perform(key, request, seq, callback as never);
      },
    };
    const provider = new MemcacheProvider(counting, { prefix: `m${++round}:` });
    await provider.new('sid-rt', new Value({ a: 1 }));
    performs = 0;
    const s = await provider.restore('sid-rt', { touch: true });
    expect(performs).toBe(1);
    s.getValue().set('b', 2);
    await s.setValue(s.getValue());
    expect(performs).toBe(2);
    s.getValue().set('c', 3);
    await s.setValue(s.getValue());
    // A second save of the same request: the CAS its first write got, one round trip again.
    expect(performs).toBe(3);
    expect((await provider.restore('sid-rt')).getValue().toJSON()).toEqual({ a: 1, b: 2, c: 3 });
  });

  it('a deleted key stays deleted while another request sets a different one', async () => {
    const prefix = `m${++round}:`;
    const provider = new MemcacheProvider(memcache, { prefix });
    const other = new MemcacheProvider(memcache2, { prefix });
    await provider.new('sid-del', new Value({ a: 1, b: 2 }));
    const [x, y] = await Promise.all([provider.restore('sid-del'), other.restore('sid-del')]);
    x.getValue().del('a');
    y.getValue().set('c', 3);
    await Promise.all([x.setValue(x.getValue()), y.setValue(y.getValue())]);
    expect((await provider.restore('sid-del')).getValue().toJSON()).toEqual({ b: 2, c: 3 });
  });

  it('a forced conflict storm (another writer before every check-and-set) ends in ERR_STORE_UNAVAILABLE, not a hang; the app answers it', async () => {
    const prefix = `m${++round}:`;
    let replaces = 0;
    let target = '';
    // memjs as the provider sees it, with a rival writer: before each REPLACE of the session,
    // the item is rewritten over another connection (a new CAS), so every check-and-set fails.
    const stormy: MemjsClient = {
      get seq() {
        return memcache.seq;
      },
      incrSeq: () => memcache.incrSeq(),
      perform: (key, request, seq, callback) => {
        if (request[1] === 0x03 && key === target) {
          replaces++;
          void memcachedSet(memcached.port, key, '{"rival":1}', 600).then(() => memcache.perform(key, request, seq, callback as never));
          return;
        }
        memcache.perform(key, request, seq, callback as never);
      },
    };
    const provider = new MemcacheProvider(stormy, { prefix, timeout: 2000 });
    const session = new Session(provider, { cookieSecret: SECRET });
    const errors: string[] = [];
    session.on('error', (e) => errors.push(e.error instanceof SessionError ? e.error.code : String(e.error)));
    closers.push(async () => session.dispose());
    const url = await serve(session);
    const client = new Client(url);
    const created = body(await client.get('/set?base=1'));
    target = provider.keyFor(created.sid);
    const res = await client.get('/save?k=x&v=1');
    expect(res.status, res.body).toBe(503);
    expect(body(res).error).toBe('ERR_STORE_UNAVAILABLE');
    expect(errors).toContain('ERR_STORE_UNAVAILABLE');
    // Bounded: the optimistic write plus at most 16 check-and-set rounds.
    expect(replaces).toBeGreaterThan(1);
    expect(replaces).toBeLessThanOrEqual(17);
    // The rival's write stands; the process serves on.
    target = '';
    expect(body(await client.get('/state')).data).toEqual({ rival: 1 });
  }, 60_000);
});
