/** The full manager suite on a real memcached (one crypto backend is enough here). */
import { MemcacheProvider } from '../../src/providers/memcache/provider.js';
import { managerSuite } from '../manager/suite.js';
import { memcachedPerFile } from './fixtures.js';

const memcached = memcachedPerFile();
let n = 0;

// memcached's clock ticks in whole seconds: an item with TTL N lives between N-1 and N seconds.
// The rolling test touches every 0.6·N s, which must stay under N-1 with room for a loaded machine: N = 4.
managerSuite('memcache', () => ({ provider: new MemcacheProvider(memcached.client, { prefix: `m${++n}:` }), close: async () => {} }), {
  backend: 'node',
  idleSeconds: 4,
});
