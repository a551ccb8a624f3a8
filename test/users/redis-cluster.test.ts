/** User sessions on a real 3-master Redis Cluster: index and session keys on different nodes, no cross-slot scripts. */
import { describe, expect, it } from 'vitest';
import { Session } from '../../src/session/session.js';
import { RedisProvider } from '../../src/providers/redis/provider.js';
import { clusterPerFile } from '../providers/fixtures.js';
import { SECRET, fakeRes, usersSuite } from './suite.js';

const rc = clusterPerFile();

let n = 0;
usersSuite('redis cluster (3 masters)', {
  provider: (ttl) => new RedisProvider(rc.client, { prefix: `c${++n}:`, ...(ttl === undefined ? {} : { ttl }) }),
  perKeyMerge: true,
  shortTtl: 5, // every login must land well inside it, on a loaded machine too (1 s let the first ones expire before the listing)
  pruneCount: 300,
  indexSize: async (p, userId) => rc.client.hlen((p as RedisProvider).indexKey(userId)),
});

describe('redis cluster: user index across nodes', () => {
  it('a user index and its sessions live on several masters, and revocation reaches all of them', async () => {
    const p = new RedisProvider(rc.client, { prefix: 'spread-u:' });
    const s = new Session(p, { cookieSecret: SECRET, backend: 'node' });
    const stores = [];
    for (let i = 0; i < 12; i++) stores.push(await s.login({ headers: {} }, fakeRes(), 'multi'));
    const ranges = await rc.client.cluster('SLOTS');
    const nodeOf = (slot: number): number => ranges.find(([lo, hi]) => slot >= lo && slot <= hi)?.[2]?.[1] ?? -1;
    const nodes = new Set<number>();
    nodes.add(nodeOf(Number(await rc.client.cluster('KEYSLOT', p.indexKey('multi')))));
    for (const st of stores) nodes.add(nodeOf(Number(await rc.client.cluster('KEYSLOT', p.keyFor(st.sessionID())))));
    expect(nodes.size).toBeGreaterThan(1);
    expect(await s.userSessions('multi')).toHaveLength(12);
    expect(await s.destroyUserSessions('multi')).toBe(12);
    for (const st of stores) expect(await rc.client.exists(p.keyFor(st.sessionID()))).toBe(0);
  });
});
