/** A real 3-master Redis Cluster on loopback, through the cluster client WS_REDIS_CLIENT names (ioredis 5 by default). */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Value } from '../../src/manager/value.js';
import { RedisProvider } from '../../src/providers/redis/provider.js';
import { providerSuite } from './provider-suite.js';
import { clusterPerFile, redisFixture } from './fixtures.js';

const rc = clusterPerFile();

providerSuite('redis cluster (3 masters)', () => redisFixture(rc.client));

describe('redis cluster specifics', () => {
  it('the client-side cache is refused on a Cluster with ERR_UNSUPPORTED, saying why', () => {
    expect(() => new RedisProvider(rc.client, { ttl: 60, cache: { maxBytes: 1 << 20 } })).toThrow(
      expect.objectContaining({ code: 'ERR_UNSUPPORTED', message: expect.stringContaining('per node') }),
    );
  });

  it('refresh moves sessions between slots on different masters', async () => {
    const p = new RedisProvider(rc.client, { ttl: 60 });
    const masters = rc.admin.nodes('master');
    expect(masters).toHaveLength(3);
    // slot -> master port, from CLUSTER SLOTS
    const ranges = await rc.admin.cluster('SLOTS');
    const nodeOf = (slot: number): number => ranges.find(([lo, hi]) => slot >= lo && slot <= hi)?.[2]?.[1] ?? -1;
    let crossNode = 0;
    for (let i = 0; i < 12; i++) {
      const a = `sid-${randomUUID()}`;
      const b = `sid-${randomUUID()}`;
      await p.new(a, new Value({ i }));
      const s = await p.refresh(a, b);
      expect(s.getValue().get('i')).toBe(i);
      const slotA = Number(await rc.admin.cluster('KEYSLOT', p.keyFor(a)));
      const slotB = Number(await rc.admin.cluster('KEYSLOT', p.keyFor(b)));
      if (nodeOf(slotA) !== nodeOf(slotB)) crossNode++;
      expect((await p.restore(b)).getValue().get('i')).toBe(i);
      await expect(p.restore(a)).rejects.toMatchObject({ code: 'ERR_SESSION_NOT_FOUND' });
    }
    // 12 random pairs over 3 masters: the odds of none crossing nodes are (1/3)^12
    expect(crossNode).toBeGreaterThan(0);
  });

  it('sessions spread over all three masters', async () => {
    const p = new RedisProvider(rc.client, { ttl: 60, prefix: 'spread:' });
    await Promise.all(Array.from({ length: 30 }, () => p.new(`sid-${randomUUID()}`)));
    const counts = await Promise.all(rc.admin.nodes('master').map((n) => n.dbsize()));
    for (const c of counts) expect(c).toBeGreaterThan(0);
  });
});
