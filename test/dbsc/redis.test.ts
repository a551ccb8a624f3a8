/** DBSC on a real Redis. */
import { RedisProvider } from '../../src/providers/redis/provider.js';
import { redisPerFile } from '../providers/fixtures.js';
import { dbscSuite } from './suite.js';

const redis = redisPerFile();
let n = 0;
dbscSuite('redis', () => new RedisProvider(redis.client, { prefix: `dbsc${++n}:` }), { users: true });
