/** User sessions on a real memcached (and on two, where sessions and indexes spread over servers). */
import { describe, expect, it } from 'vitest';
import { Session } from '../../src/session/session.js';
import { MemcacheProvider } from '../../src/providers/memcache/provider.js';
import { memcachedGet } from '../helpers/servers.js';
import { memcachedPerFile } from '../providers/fixtures.js';
import { SECRET, fakeRes, usersSuite } from './suite.js';

const memcached = memcachedPerFile();
let n = 0;

// memcached counts TTLs in whole seconds.
usersSuite('memcache', {
  provider: (ttl) => new MemcacheProvider(memcached.client, { prefix: `u${++n}:`, ...(ttl === undefined ? {} : { ttl }) }),
  perKeyMerge: true, // check-and-set merges (issue 30)
  shortTtl: 10, // 1,000 logins through one CAS-updated index item take a few seconds
  indexSize: async (p, userId) => {
    const raw = await memcachedGet(memcached.server.port, (p as MemcacheProvider).indexKey(userId));
    return raw === undefined ? 0 : Object.keys(JSON.parse(raw) as object).length;
  },
});

describe('memcache user index layout', () => {
  it('the binding is a header line of the session item; the index is one item per user keyed by session key hashes', async () => {
    const p = new MemcacheProvider(memcached.client, { prefix: 'layout:' });
    const s = new Session(p, { cookieSecret: SECRET, backend: 'node' });
    const store = await s.login({ headers: {} }, fakeRes(), 'user-1', { label: 'Safari' });
    const record = await memcachedGet(memcached.server.port, p.keyFor(store.sessionID()));
    expect(record).toMatch(/^#ws1 \{"m":\{"u":"user-1","l":"Safari","c":\d+\}\}\n\{\}$/);
    const index = JSON.parse((await memcachedGet(memcached.server.port, p.indexKey('user-1')))!) as Record<string, string>;
    expect(Object.keys(index)).toEqual([p.keyFor(store.sessionID()).slice('layout:'.length)]);
    expect(JSON.stringify(index)).not.toContain(store.sessionID());
  });
});

describe('memcache: what a user-bound session costs per request', () => {
  it('a returning request costs what an anonymous one does: one GAT, plus one REPLACE when it changed something', async () => {
    const p = new MemcacheProvider(memcached.client, { prefix: 'cost:' });
    const s = new Session(p, { cookieSecret: SECRET, backend: 'node' });
    const res = fakeRes();
    await s.login({ headers: {} }, res, 'cost-user');
    const cookie = (res.getHeader('set-cookie') as string[])[0]!.split(';')[0]!;
    let ops = 0;
    const client = memcached.client as unknown as { perform: (...a: unknown[]) => unknown };
    const perform = client.perform.bind(client);
    client.perform = (...a: unknown[]) => {
      ops++;
      return perform(...a);
    };
    try {
      const store = await s.start({ headers: { cookie } }, fakeRes());
      expect(store.userId()).toBe('cost-user');
      expect(ops).toBe(1);
      store.getValue().set('n', 1);
      await store.save();
      expect(ops).toBe(2);
    } finally {
      client.perform = perform;
    }
  });
});
