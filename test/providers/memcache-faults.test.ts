/** memcached outages: nothing listening, hung (SIGSTOP), refused (killed), recovery after restart. */
import memjs from 'memjs';
import { afterEach, describe, expect, it } from 'vitest';
import { MemcacheProvider } from '../../src/providers/memcache/provider.js';
import { sleep } from '../helpers/http.js';
import { freePort, startMemcached } from '../helpers/servers.js';
import { everyMethodUnavailable, hungRefusedRestarted, memjsClient, quietLogger, unhandledRejections } from './fixtures.js';

const unhandled = unhandledRejections();

const clients: memjs.Client[] = [];
afterEach(() => {
  while (clients.length) clients.pop()!.close();
});

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
      await everyMethodUnavailable(p, 800 + 3000);
    });

    it(`hung, then refused, then restarted (${name}): unavailable within the timeout, then serving again`, async () => {
      const server = await startMemcached();
      try {
        const client = make([server.port]);
        clients.push(client);
        const timeout = 1000;
        const p = new MemcacheProvider(client, { timeout, ttl: 60 });
        await hungRefusedRestarted(p, server, timeout + 3000);
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
