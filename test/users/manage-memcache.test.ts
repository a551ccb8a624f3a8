/** Sessions a user can manage on a real memcached: two app servers, each with its own client and provider. */
import { afterAll, beforeAll } from 'vitest';
import type memjs from 'memjs';
import { MemcacheProvider } from '../../src/providers/memcache/provider.js';
import { memcachedPerFile, memjsClient } from '../providers/fixtures.js';
import { manageSuite } from './manage-suite.js';

const memcached = memcachedPerFile();
let second: memjs.Client;
beforeAll(() => {
  second = memjsClient([memcached.server.port]);
});
afterAll(() => second?.close());
let n = 0;

manageSuite('memcache', {
  providers: () => {
    const prefix = `m${++n}:`;
    return [new MemcacheProvider(memcached.client, { prefix }), new MemcacheProvider(second, { prefix })];
  },
});
