/** The full manager suite on a real Redis (one crypto backend is enough here). */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { RedisProvider } from '../../src/providers/redis.js';
import { startRedis, type ServerProcess } from '../helpers/servers.js';
import { managerSuite } from '../manager/suite.js';
import { redisClient } from './fixtures.js';

let server: ServerProcess;
let client: Redis;
let n = 0;

beforeAll(async () => {
  server = await startRedis();
  client = redisClient(server.port);
});

afterAll(async () => {
  client?.disconnect();
  await server?.dispose();
});

// A prefix per fixture: each test server gets its own namespace on the shared server.
managerSuite('redis', () => ({ provider: new RedisProvider(client, { prefix: `m${++n}:` }), close: async () => {} }), {
  backend: 'node',
});
