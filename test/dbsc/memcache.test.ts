/** DBSC on a real memcached. */
import { MemcacheProvider } from '../../src/providers/memcache/provider.js';
import { memcachedPerFile } from '../providers/fixtures.js';
import { dbscSuite } from './suite.js';

const memcached = memcachedPerFile();
let n = 0;
dbscSuite('memcache', () => new MemcacheProvider(memcached.client, { prefix: `dbsc${++n}:` }), { users: true });
