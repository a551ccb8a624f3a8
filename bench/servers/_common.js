// Shared by every bench server: listen on 127.0.0.1 port 0, print the port,
// count requests, and answer the parent's `stats` message over IPC
// (requests handled, Redis round trips issued). Nothing here touches the
// request path beyond one counter increment.

export const SECRET = 'benchmark secret, at least 32 characters long';
export const HOST = '127.0.0.1';

const stats = { requests: 0, roundTrips: 0, commands: 0, errors: 0 };
export { stats };

/** Counts one Redis round trip (one request→reply wait on a request's path) of `n` commands. */
export function roundTrip(n = 1) {
  stats.roundTrips++;
  stats.commands += n;
}

/**
 * Starts `server` (a node:http Server) on 127.0.0.1:0, prints `PORT <n>` on
 * stdout, and serves `stats` over IPC. `close` runs on `exit` messages.
 */
export function listen(server, close = async () => {}) {
  server.on('request', () => {
    stats.requests++;
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, HOST, () => {
    process.stdout.write(`PORT ${server.address().port}\n`);
  });
  wireIpc(close);
}

/** For frameworks that listen themselves (fastify): count on their server and announce the port. */
export function announce(server, port, close = async () => {}) {
  server.on('request', () => {
    stats.requests++;
  });
  process.stdout.write(`PORT ${port}\n`);
  wireIpc(close);
}

function wireIpc(close) {
  process.on('message', async (m) => {
    if (m === 'stats') {
      const cpu = process.cpuUsage();
      process.send?.({ stats: { ...stats, cpuUserUs: cpu.user, cpuSystemUs: cpu.system } });
    }
    else if (m === 'exit') {
      try {
        await close();
      } finally {
        process.exit(0);
      }
    }
  });
  process.on('disconnect', () => process.exit(0));
}

/** Redis port from the environment, or exit with a "not available" line. */
export function redisPort() {
  const port = Number(process.env.BENCH_REDIS_PORT);
  if (!port) unavailable('no Redis server (redis-server missing?)');
  return port;
}

/** Prints `UNAVAILABLE <reason>` and exits 0: the parent records the row as not available. */
export function unavailable(reason) {
  process.stdout.write(`UNAVAILABLE ${reason}\n`);
  process.exit(0);
}

/**
 * Counts round trips of an ioredis client: every top-level command (including
 * defined Lua scripts: EVALSHA) is one; a pipeline or MULTI/EXEC is one for
 * all its commands. Counted at the client API, not socket writes (writes of
 * concurrent requests coalesce, and a lost EVALSHA→EVAL retry is ignored).
 */
export function countIoredis(redis) {
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = (command, stream) => {
    // Commands queued into a pipeline carry a `stream` (isPipeline); those are counted at exec.
    if (!stream) roundTrip(1);
    return send(command, stream);
  };
  for (const make of ['pipeline', 'multi']) {
    const orig = redis[make].bind(redis);
    redis[make] = (...args) => {
      const p = orig(...args);
      const exec = p.exec.bind(p);
      p.exec = (...a) => {
        roundTrip(p.length ?? 1);
        return exec(...a);
      };
      return p;
    };
  }
  return redis;
}

/** Same for a node-redis client, at the methods connect-redis calls (each is awaited alone: one round trip). */
export function countNodeRedis(client) {
  for (const m of ['get', 'set', 'expire', 'del', 'mGet']) {
    const orig = client[m].bind(client);
    client[m] = (...args) => {
      roundTrip(1);
      return orig(...args);
    };
  }
  return client;
}
