/** memjs configured with two memcached servers: sessions spread over both, the suite passes. */
import { randomUUID } from 'node:crypto';
import type memjs from 'memjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Value } from '../../src/manager/value.js';
import { MemcacheProvider } from '../../src/providers/memcache/provider.js';
import { memcachedGet, memcachedStats, startMemcached, type ServerProcess } from '../helpers/servers.js';
import { providerSuite } from './provider-suite.js';
import { memcacheFixture, memjsClient } from './fixtures.js';

let servers: ServerProcess[] = [];
let client: memjs.Client;

beforeAll(async () => {
  servers = await Promise.all([startMemcached(), startMemcached()]);
  client = memjsClient(servers.map((s) => s.port));
});

afterAll(async () => {
  client?.close();
  await Promise.all(servers.map((s) => s.dispose()));
});

providerSuite('memcache (memjs over two servers)', () => memcacheFixture(client, servers.map((s) => s.port)));

describe('memcache over two servers', () => {
  it('spreads sessions over both servers, each session on exactly one', async () => {
    const p = new MemcacheProvider(client, { ttl: 60, prefix: 'spread:' });
    const before = await Promise.all(servers.map((s) => memcachedStats(s.port)));
    const ids = Array.from({ length: 40 }, () => `sid-${randomUUID()}`);
    await Promise.all(ids.map((id) => p.new(id, new Value({ id }))));
    const after = await Promise.all(servers.map((s) => memcachedStats(s.port)));
    const added = after.map((st, i) => Number(st.curr_items) - Number(before[i]!.curr_items));
    expect(added.reduce((a, b) => a + b, 0)).toBe(40);
    for (const n of added) expect(n).toBeGreaterThan(5);
    for (const id of ids) {
      const holders = await Promise.all(servers.map((s) => memcachedGet(s.port, p.keyFor(id))));
      expect(holders.filter((h) => h !== undefined)).toHaveLength(1);
      expect((await p.restore(id)).getValue().get('id')).toBe(id);
    }
  });
});
