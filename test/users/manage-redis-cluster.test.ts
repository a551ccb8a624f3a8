/** Sessions a user can manage on a real 3-master Redis Cluster: records, indexes and sessions on different nodes; two app servers with their own cluster clients. */
import { afterAll, beforeAll } from 'vitest';
import type { Cluster } from 'ioredis';
import { RedisProvider } from '../../src/providers/redis/provider.js';
import { clusterClient, clusterPerFile } from '../providers/fixtures.js';
import { manageSuite } from './manage-suite.js';

const rc = clusterPerFile();
let second: Cluster;
beforeAll(() => {
  second = clusterClient(rc.cluster);
});
afterAll(() => second?.disconnect());
let n = 0;

manageSuite('redis cluster (3 masters)', {
  providers: () => {
    const prefix = `mc${++n}:`;
    return [new RedisProvider(rc.client, { prefix }), new RedisProvider(second, { prefix })];
  },
});
