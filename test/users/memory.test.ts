/** User sessions on the memory provider, plus its index bookkeeping. */
import { describe, expect, it } from 'vitest';
import { Session } from '../../src/session/session.js';
import { MemoryProvider } from '../../src/providers/memory/provider.js';
import { SECRET, fakeRes, usersSuite } from './suite.js';

usersSuite('memory', { provider: (ttl) => new MemoryProvider(ttl === undefined ? {} : { ttl }), perKeyMerge: true,
  shortTtl: 1, indexSize: async (p, u) => (p as MemoryProvider).indexSize(u) });

describe('memory provider user index', () => {
  it('an evicted session leaves its user index (no unbounded growth)', async () => {
    const p = new MemoryProvider({ max: 10 });
    const s = new Session(p, { cookieSecret: SECRET, backend: 'node' });
    for (let i = 0; i < 30; i++) await s.login({ headers: {} }, fakeRes(), 'u');
    expect(p.indexSize('u')).toBe(10);
    expect(await s.userSessions('u')).toHaveLength(10);
  });

  it('pruning drops the index entries of expired sessions', async () => {
    const p = new MemoryProvider({ ttl: 1 });
    const s = new Session(p, { cookieSecret: SECRET, backend: 'node' });
    for (let i = 0; i < 5; i++) await s.login({ headers: {} }, fakeRes(), 'u');
    expect(p.indexSize('u')).toBe(5);
    await new Promise((r) => setTimeout(r, 1300));
    expect(await s.userSessions('u')).toEqual([]);
    expect(p.indexSize('u')).toBe(0);
  });
});
