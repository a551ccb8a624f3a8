/** memcached outages: nothing listening, hung (SIGSTOP), refused (killed), recovery after restart. */
import { randomUUID } from 'node:crypto';
import memjs from 'memjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SessionError } from '../../src/errors.js';
import { Value } from '../../src/manager/value.js';
import { MemcacheProvider } from '../../src/providers/memcache.js';
import { freePort, startMemcached } from '../helpers/servers.js';
import { memjsClient, quietLogger } from './fixtures.js';

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

const clients: memjs.Client[] = [];
afterEach(() => {
  while (clients.length) clients.pop()!.close();
});

const sid = (): string => `sid-${randomUUID()}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function unavailable(op: () => Promise<unknown>, bound: number): Promise<void> {
  const t0 = Date.now();
  try {
    await op();
  } catch (err) {
    expect(err).toBeInstanceOf(SessionError);
    expect((err as SessionError).code).toBe('ERR_STORE_UNAVAILABLE');
    expect(Date.now() - t0).toBeLessThan(bound);
    return;
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

const makeClients: Record<string, (ports: number[]) => memjs.Client> = {
  'memjs defaults (quiet logger)': (ports) =>
    memjs.Client.create(ports.map((p) => `127.0.0.1:${p}`).join(','), { logger: quietLogger }),
  'recommended options': (ports) => memjsClient(ports),
};

describe('memcache faults', () => {
  for (const [name, make] of Object.entries(makeClients)) {
    it(`nothing listening (${name}): ERR_STORE_UNAVAILABLE within the timeout`, async () => {
      const client = make([await freePort()]);
      clients.push(client);
      const p = new MemcacheProvider(client, { timeout: 800, ttl: 60 });
      const bound = 800 + 3000;
      await unavailable(() => p.new(sid()), bound);
      await unavailable(() => p.restore(sid()), bound);
      await unavailable(() => p.restore(sid(), { touch: true }), bound);
      await unavailable(() => p.refresh(sid(), sid()), bound);
      await unavailable(() => p.destroy(sid()), bound);
    });

    it(`hung, then refused, then restarted (${name}): unavailable within the timeout, then serving again`, async () => {
      const server = await startMemcached();
      try {
        const client = make([server.port]);
        clients.push(client);
        const timeout = 1000;
        const bound = timeout + 3000;
        const p = new MemcacheProvider(client, { timeout, ttl: 60 });
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

        await server.stop('SIGKILL');
        await unavailable(() => p.restore(id), bound);

        await server.start();
        const fresh = sid();
        await eventually(() => p.new(fresh, new Value({ after: true })));
        expect((await p.restore(fresh, { touch: true })).getValue().get('after')).toBe(true);
      } finally {
        await server.dispose();
      }
    }, 60_000);
  }

  it('saw no unhandled rejection', async () => {
    await sleep(300);
    expect(unhandled).toEqual([]);
  });
});
