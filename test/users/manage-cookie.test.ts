/**
 * Sessions a user can manage on CookieProvider with a revocation store: two
 * app servers, each with its own CookieProvider, sharing one revocation store
 * (one MemoryProvider; a real Redis through two clients; a SQLite file through
 * two connections).
 */
import { afterAll, beforeAll } from 'vitest';
import type { Redis } from 'ioredis';
import { CookieProvider } from '../../src/providers/cookie/provider.js';
import { MemoryProvider } from '../../src/providers/memory/provider.js';
import { RedisProvider } from '../../src/providers/redis/provider.js';
import { SqliteProvider } from '../../src/providers/sql/sqlite.js';
import { redisClient, redisPerFile } from '../providers/fixtures.js';
import { DatabaseSync, sqlitePerFile, type TestDatabase } from '../providers/sql-fixtures.js';
import { manageSuite } from './manage-suite.js';

const redis = redisPerFile();
const file = sqlitePerFile();
let second: Redis;
let secondDb: TestDatabase;
beforeAll(() => {
  second = redisClient(redis.server.port);
  secondDb = new DatabaseSync(file.path);
});
afterAll(() => {
  second?.disconnect();
  secondDb?.close();
});
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

manageSuite('cookie + sqlite revocation store', {
  renews: false,
  joinsRace: false,
  providers: () => {
    const prefix = `mc${++n}:`;
    return [
      new CookieProvider({ revocation: new SqliteProvider(file.db, { prefix, sweepInterval: 0 }) }),
      new CookieProvider({ revocation: new SqliteProvider(secondDb, { prefix, sweepInterval: 0 }) }),
    ];
  },
});
