/** The full manager suite on a real Redis (one crypto backend is enough here). */
import { RedisProvider } from '../../src/providers/redis/provider.js';
import { managerSuite } from '../manager/suite.js';
import { redisPerFile } from './fixtures.js';

const redis = redisPerFile();
let n = 0;

// A prefix per fixture: each test server gets its own namespace on the shared server.
managerSuite('redis', () => ({ provider: new RedisProvider(redis.client, { prefix: `m${++n}:` }), close: async () => {} }), {
  backend: 'node',
});

// The same suite with the client-side cache on: every manager path (login, renewal, destroy, user index) over cached restores.
managerSuite(
  'redis + client-side cache',
  () => {
    const provider = new RedisProvider(redis.client, { prefix: `mc${++n}:`, cache: { maxBytes: 1 << 20 } });
    return { provider, close: async () => provider.cache?.close() };
  },
  { backend: 'node' },
);
