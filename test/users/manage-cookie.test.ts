/**
 * Sessions a user can manage on CookieProvider with a revocation store: two
 * app servers, each with its own CookieProvider, sharing one revocation store
 * (one MemoryProvider; or a real Redis through two clients).
 */
import { afterAll, beforeAll } from 'vitest';
import type { Redis } from 'ioredis';
import { CookieProvider } from '../../src/providers/cookie.js';
import { MemoryProvider } from '../../src/providers/memory.js';
import { RedisProvider } from '../../src/providers/redis.js';
import { redisClient, redisPerFile } from '../providers/fixtures.js';
import { manageSuite } from './manage-suite.js';

const redis = redisPerFile();
let second: Redis;
beforeAll(() => {
  second = redisClient(redis.server.port);
});
afterAll(() => second?.disconnect());
let n = 0;

manageSuite('cookie + memory revocation store', {
  renews: false,
  joinsRace: false,
  providers: () => {
    const revocation = new MemoryProvider();
    return [new CookieProvider({ revocation }), new CookieProvider({ revocation })];
  },
});

manageSuite('cookie + redis revocation store', {
  renews: false,
  joinsRace: false,
  providers: () => {
    const prefix = `mc${++n}:`;
    return [new CookieProvider({ revocation: new RedisProvider(redis.client, { prefix }) }), new CookieProvider({ revocation: new RedisProvider(second, { prefix }) })];
  },
});
