// An app as a user writes it, in a process of its own (so a crash is seen as
// the process exiting): node:http + Session over the store named by argv[2]
// (`postgres`, `ioredis`, `node-redis`, `memcached`; STORE_CONFIG = { host,
// port, … }), from the built package (dist/). Prints `listening <port>` on
// stdout. Routes: /login?user=U (a user-bound session), /bump (read and add
// one to `n`), /read. A restore that fails answers 503 with the error's code,
// as the docs say; a failed save is answered by the library itself.
import { createServer } from 'node:http';
import { Session, isSessionError } from '../../../dist/index.js';

const store = process.argv[2];
const config = JSON.parse(process.env.STORE_CONFIG ?? '{}');
let provider;
if (store === 'postgres') {
  const { default: pg } = await import('pg');
  const { PostgresProvider } = await import('../../../dist/providers/sql/postgres.js');
  // As docs/providers.md says: a Pool with an 'error' listener, bounded acquire and statements.
  const pool = new pg.Pool({ ...config, max: 10, connectionTimeoutMillis: 2000, statement_timeout: 2000 });
  pool.on('error', (err) => console.error('pool error:', err.message));
  provider = new PostgresProvider(pool, { timeout: 1000, sweepInterval: 0 });
  await provider.createSchema();
} else if (store === 'ioredis') {
  const { Redis } = await import('ioredis');
  const { RedisProvider } = await import('../../../dist/providers/redis/provider.js');
  // docs/providers.md's recommended options; the app listens to 'error'.
  const client = new Redis({ ...config, maxRetriesPerRequest: 1, commandTimeout: 2000, connectTimeout: 2000 });
  client.on('error', () => {});
  provider = new RedisProvider(client, { timeout: 1000 });
} else if (store === 'node-redis') {
  const { createClient } = await import('redis-6');
  const { RedisProvider } = await import('../../../dist/providers/redis/provider.js');
  // As a node-redis user writes it: connected, with an 'error' listener (without one node-redis ends the process).
  const client = createClient({ socket: { host: config.host, port: config.port, connectTimeout: 2000 } });
  client.on('error', () => {});
  await client.connect();
  provider = new RedisProvider(client, { timeout: 1000 });
} else if (store === 'memcached') {
  const { default: memjs } = await import('memjs');
  const { MemcacheProvider } = await import('../../../dist/providers/memcache/provider.js');
  const client = memjs.Client.create(`${config.host}:${config.port}`, { retries: 1, timeout: 0.5, conntimeout: 0.5, logger: { log() {} } });
  provider = new MemcacheProvider(client, { timeout: 1000 });
} else {
  throw new Error(`unknown store ${store}`);
}
const session = new Session(provider, { cookieSecret: 'a store app secret that is long enough 0123456789', backend: 'node' });
session.on('error', () => {}); // reported to the operator elsewhere; the app keeps serving

const server = createServer(async (req, res) => {
  try {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/login') {
      const s = await session.login(req, res, url.searchParams.get('user') ?? 'u');
      s.getValue().set('n', 0);
      res.end('ok');
      return;
    }
    const s = await session.start(req, res);
    if (url.pathname === '/bump') s.getValue().set('n', s.getValue().int('n') + 1);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ isNew: s.isNew(), n: s.getValue().int('n'), user: s.userId() ?? null }));
  } catch (err) {
    res.statusCode = isSessionError(err, 'ERR_STORE_UNAVAILABLE') ? 503 : 500;
    res.end(isSessionError(err) ? err.code : 'error');
  }
});
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
