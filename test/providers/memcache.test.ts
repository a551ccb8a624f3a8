import { describe, expect, it } from 'vitest';
import { Value } from '../../src/manager/value.js';
import { MemcacheProvider } from '../../src/providers/memcache/provider.js';
import { memcachedGet } from '../helpers/servers.js';
import { providerSuite } from './provider-suite.js';
import { memcacheFixture, memcachedPerFile, sid } from './fixtures.js';

const memcached = memcachedPerFile();

providerSuite('memcache (single server)', () => memcacheFixture(memcached.client, [memcached.server.port]));

describe('memcache specifics', () => {
  it('keeps one JSON item per session', async () => {
    const p = new MemcacheProvider(memcached.client, { ttl: 60 });
    const id = sid();
    await p.new(id, new Value({ user: { id: 1 }, n: 2 }));
    expect(JSON.parse((await memcachedGet(memcached.server.port, p.keyFor(id))) as string)).toEqual({ user: { id: 1 }, n: 2 });
  });

  it('validates the prefix against memcached key rules at construction (ERR_INVALID_KEY)', () => {
    const bad = ['has space:', 'tab\t', 'nl\n', 'del\x7f', 'x'.repeat(187)];
    for (const prefix of bad) {
      expect(() => new MemcacheProvider(memcached.client, { prefix }), JSON.stringify(prefix)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_KEY' }),
      );
    }
    // 186 + 64 = 250 bytes: the limit itself is fine
    expect(() => new MemcacheProvider(memcached.client, { prefix: 'x'.repeat(186) })).not.toThrow();
    // bytes, not characters
    expect(() => new MemcacheProvider(memcached.client, { prefix: 'é'.repeat(94) })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_KEY' }),
    );
  });

  it('works at the longest valid key', async () => {
    const p = new MemcacheProvider(memcached.client, { ttl: 60, prefix: 'x'.repeat(186) });
    const id = sid();
    await p.new(id, new Value({ a: 1 }));
    expect((await p.restore(id)).getValue().get('a')).toBe(1);
  });

  it('a record over the item size fails with ERR_VALUE_TOO_LARGE before sending; the stored one is kept', async () => {
    const p = new MemcacheProvider(memcached.client, { ttl: 60 });
    const id = sid();
    const s = await p.new(id, new Value({ small: 1 }));
    s.getValue().set('big', 'x'.repeat(1024 * 1024));
    await expect(s.setValue(s.getValue())).rejects.toMatchObject({ code: 'ERR_VALUE_TOO_LARGE' });
    expect((await p.restore(id)).getValue().toJSON()).toEqual({ small: 1 });
    await expect(p.new(sid(), new Value({ big: 'x'.repeat(1024 * 1024) }))).rejects.toMatchObject({
      code: 'ERR_VALUE_TOO_LARGE',
    });
  });

  it("the server's own too-large answer maps to ERR_VALUE_TOO_LARGE (maxItemSize set above the server's)", async () => {
    const p = new MemcacheProvider(memcached.client, { ttl: 60, maxItemSize: 8 * 1024 * 1024 });
    const id = sid();
    const s = await p.new(id, new Value({ small: 1 }));
    s.getValue().set('big', 'x'.repeat(2 * 1024 * 1024));
    await expect(s.setValue(s.getValue())).rejects.toMatchObject({ code: 'ERR_VALUE_TOO_LARGE' });
    // the connection is still usable, the record unchanged
    expect((await p.restore(id)).getValue().toJSON()).toEqual({ small: 1 });
  });

  it('a record just under the limit is stored', async () => {
    const p = new MemcacheProvider(memcached.client, { ttl: 60 });
    const id = sid();
    await p.new(id, new Value({ big: 'y'.repeat(1000 * 1000) }));
    expect((await p.restore(id)).getValue().string('big')).toHaveLength(1000 * 1000);
  });

  it('a TTL over 30 days is sent as a Unix time (memcached rule) and still means "from now"', async () => {
    const ttl = 60 * 60 * 24 * 40;
    const p = new MemcacheProvider(memcached.client, { ttl });
    const id = sid();
    await p.new(id);
    const fixture = memcacheFixture(memcached.client, [memcached.server.port]);
    const left = (await fixture.rawTtl(p.keyFor(id))) as number;
    expect(left).toBeGreaterThan(ttl - 30);
    expect(left).toBeLessThanOrEqual(ttl + 2); // memcached clocks tick in whole seconds
  });

  it('restore with touch is one request (GAT); save and new are one each', async () => {
    const p = new MemcacheProvider(memcached.client, { ttl: 60 });
    const id = sid();
    const s = await p.new(id, new Value({ a: 1 }));
    const opcodes: number[] = [];
    const original = memcached.client.perform.bind(memcached.client);
    memcached.client.perform = ((key: string, request: Buffer, ...rest: unknown[]) => {
      opcodes.push(request.readUInt8(1));
      return (original as (...a: unknown[]) => unknown)(key, request, ...rest);
    }) as typeof memcached.client.perform;
    try {
      await p.restore(id, { touch: true });
      expect(opcodes).toEqual([0x1d]); // GAT
      opcodes.length = 0;
      s.getValue().set('b', 2);
      await s.setValue(s.getValue());
      expect(opcodes).toEqual([0x03]); // REPLACE
      opcodes.length = 0;
      await p.new(sid());
      expect(opcodes).toEqual([0x02]); // ADD
    } finally {
      memcached.client.perform = original;
    }
  });

  it('rejects bad options with ERR_INVALID_CONFIG', () => {
    expect(() => new MemcacheProvider(memcached.client, { ttl: -1 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }));
    expect(() => new MemcacheProvider(memcached.client, { maxItemSize: 10 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }));
  });
});
