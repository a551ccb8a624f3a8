/**
 * Redis outages: nothing listening, a hung server (SIGSTOP), a refused
 * connection (killed), recovery after a restart, persistence across a clean
 * restart. Every failure must be ERR_STORE_UNAVAILABLE in bounded time, with
 * no unhandled rejection.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SessionError } from '../../src/errors.js';
import { Value } from '../../src/manager/value.js';
import { RedisProvider } from '../../src/providers/redis.js';
import { freePort, startRedis, type ServerProcess } from '../helpers/servers.js';
import { recommendedRedisOptions, redisClient } from './fixtures.js';

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
});

const clients: Redis[] = [];
afterEach(() => {
  while (clients.length) clients.pop()!.disconnect();
});

const sid = (): string => `sid-${randomUUID()}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Rejects with ERR_STORE_UNAVAILABLE, and not later than `bound` ms. */
async function unavailable(op: () => Promise<unknown>, bound: number): Promise<number> {
  const t0 = Date.now();
  try {
    await op();
  } catch (err) {
    const elapsed = Date.now() - t0;
    expect(err).toBeInstanceOf(SessionError);
    expect((err as SessionError).code).toBe('ERR_STORE_UNAVAILABLE');
    expect(elapsed).toBeLessThan(bound);
    return elapsed;
  }
  throw new Error('expected ERR_STORE_UNAVAILABLE');
}

async function eventually<T>(op: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await op();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(100);
    }
  }
}

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
      const bound = 500 + 3000;
      await unavailable(() => p.new(sid()), bound);
      await unavailable(() => p.restore(sid()), bound);
      await unavailable(() => p.restore(sid(), { touch: true }), bound);
      await unavailable(() => p.refresh(sid(), sid()), bound);
      await unavailable(() => p.destroy(sid()), bound);
    });

    it(`hung server, then refused, then restarted (${name}): unavailable within the timeout, then serving again`, async () => {
      const server = await startRedis();
      try {
        const client = redisClient(server.port, options);
        clients.push(client);
        const timeout = 1000;
        const bound = timeout + 3000;
        const p = new RedisProvider(client, { timeout, ttl: 60 });
        const id = sid();
        const s = await p.new(id, new Value({ before: 1 }));

        s.getValue().set('during', 1);
        await server.freeze();
        // all at once: each waits out the timeout
        await Promise.all([
          unavailable(() => p.restore(id, { touch: true }), bound),
          unavailable(() => p.new(sid()), bound),
          unavailable(() => s.setValue(s.getValue()), bound),
          unavailable(() => s.touch(), bound),
          unavailable(() => p.refresh(id, sid()), bound),
          unavailable(() => p.destroy(sid()), bound),
        ]);

        // killed while frozen: the connection drops, reconnects are refused
        await server.stop('SIGKILL');
        await unavailable(() => p.restore(id), bound);
        await unavailable(() => p.new(sid()), bound);

        await server.start();
        const fresh = sid();
        await eventually(() => p.new(fresh, new Value({ after: true })));
        expect((await p.restore(fresh, { touch: true })).getValue().get('after')).toBe(true);
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
