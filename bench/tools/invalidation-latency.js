// The Redis client-side cache's staleness bound on a throwaway redis-server
// (npm run bench reports the same in its cost section): how long after another
// server's write the cached copy is dropped.
//
//   node bench/tools/invalidation-latency.js [samples=2000]
//
// Prints p50/p90/p99/max in ms, and JSON on the last line.
import { runInvalidationLatency } from '../lib/invalidation.js';
import { startRedis } from '../lib/redis.js';

const samples = Number(process.argv[2] ?? 2000);
const { server, reason } = await startRedis();
if (!server) {
  console.error(reason);
  process.exit(1);
}
try {
  const out = await runInvalidationLatency({ port: server.port, samples, log: console.log });
  console.log(JSON.stringify({ ...out, redisVersion: server.version }));
} finally {
  server.stop();
}
