/** The full manager suite on a real memcached (one crypto backend is enough here). */
import type memjs from 'memjs';
import { afterAll, beforeAll } from 'vitest';
import { MemcacheProvider } from '../../src/providers/memcache.js';
import { startMemcached, type ServerProcess } from '../helpers/servers.js';
import { managerSuite } from '../manager/suite.js';
import { memjsClient } from './fixtures.js';

let server: ServerProcess;
let client: memjs.Client;
let n = 0;

beforeAll(async () => {
  server = await startMemcached();
  client = memjsClient([server.port]);
});

afterAll(async () => {
  client?.close();
  await server?.dispose();
});

// memcached's clock ticks in whole seconds: an item with TTL N lives between N-1 and N seconds.
// The rolling test touches every 0.6·N s, which must stay under N-1 with room for a loaded machine: N = 4.
managerSuite('memcache', () => ({ provider: new MemcacheProvider(client, { prefix: `m${++n}:` }), close: async () => {} }), {
  backend: 'node',
  idleSeconds: 4,
});
