/**
 * Redis outages: nothing listening, a hung server (SIGSTOP), a refused
 * connection (killed), recovery after a restart, persistence across a clean
 * restart. Every failure must be ERR_STORE_UNAVAILABLE in bounded time, with
 * no unhandled rejection.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { Value } from '../../src/manager/value.js';
import { RedisProvider } from '../../src/providers/redis/provider.js';
import { sleep } from '../helpers/http.js';
import { freePort, startRedis } from '../helpers/servers.js';
import {
  eventually,
  everyMethodUnavailable,
  hungRefusedRestarted,
  recommendedRedisOptions,
  redisClient,
  sid,
  unavailable,
  unhandledRejections,
} from './fixtures.js';

const unhandled = unhandledRejections();

const clients: Redis[] = [];
afterEach(() => {
  while (clients.length) clients.pop()!.disconnect();
});

const configs = {
  'ioredis defaults': {},
  'recommended options': recommendedRedisOptions,
};

describe('redis faults', () => {
  for (const [name, options] of Object.entries(configs)) {
    it(`nothing listening (${name}): every method rejects with ERR_STORE_UNAVAILABLE within the timeout`, async () => {
      const port = await freePort();
      const client = redisClient(port, options);
      clients.push(client);
      const p = new RedisProvider(client, { timeout: 500, ttl: 60 });
      await everyMethodUnavailable(p, 500 + 3000);
    });

    it(`hung server, then refused, then restarted (${name}): unavailable within the timeout, then serving again`, async () => {
      const server = await startRedis();
      try {
        const client = redisClient(server.port, options);
        clients.push(client);
        const timeout = 1000;
        const bound = timeout + 3000;
        const p = new RedisProvider(client, { timeout, ttl: 60 });
        // refused: a new session too, besides the restore
        await hungRefusedRestarted(p, server, bound, () => unavailable(() => p.new(sid()), bound));
      } finally {
        await server.dispose();
      }
    }, 60_000);
  }

  it('a frozen server that resumes: late replies to timed-out commands are harmless', async () => {
    const server = await startRedis();
    try {
      const client = redisClient(server.port, {});
      clients.push(client);
      const p = new RedisProvider(client, { timeout: 300, ttl: 60 });
      const id = sid();
      await p.new(id, new Value({ a: 1 }));
      await server.freeze();
      await unavailable(() => p.restore(id), 3300);
      await unavailable(() => p.restore('nope'), 3300);
      server.signal('SIGCONT');
      expect((await eventually(() => p.restore(id))).getValue().get('a')).toBe(1);
      await sleep(200);
    } finally {
      await server.dispose();
    }
  });

  it('sessions saved before a clean restart of a persistent Redis are still there', async () => {
    const server = await startRedis({ persistent: true });
    try {
      const client = redisClient(server.port);
      clients.push(client);
      const p = new RedisProvider(client, { ttl: 600 });
      const ids = [sid(), sid(), sid()];
      for (const [i, id] of ids.entries()) {
        const s = await p.new(id, new Value({ i }));
        s.getValue().set('saved', `yes-${i}`);
        await s.setValue(s.getValue());
      }
      await server.stop(); // SIGTERM: clean shutdown
      await unavailable(() => p.restore(ids[0]!), 5000);
      await server.start();
      for (const [i, id] of ids.entries()) {
        const v = (await eventually(() => p.restore(id))).getValue();
        expect(v.toJSON()).toEqual({ i, saved: `yes-${i}` });
      }
      expect(await client.ttl(p.keyFor(ids[0]!))).toBeGreaterThan(500);
    } finally {
      await server.dispose();
    }
  }, 30_000);

  it('saw no unhandled rejection', async () => {
    await sleep(300);
    expect(unhandled).toEqual([]);
  });
});
