// Redis CPU, commands and command time per returning request (read+change and
// read-only), wasm-session beside express-session + connect-redis on one
// redis-server it starts; then bytes per session (MEMORY USAGE). See lib/redis-cost.js.
//   node bench/tools/redis-cost.js [side id substrings…]   (ROUNDS, REQUESTS, CONCURRENCY)
import { startRedis } from '../lib/redis.js';
import { runRedisCost } from '../lib/redis-cost.js';

const { server, reason } = await startRedis();
if (!server) {
  console.error(reason);
  process.exit(1);
}
const log = (s) => process.stderr.write(`${s}\n`);
log(`redis-server ${server.version} on 127.0.0.1:${server.port}`);
try {
  const only = process.argv.slice(2);
  const r = await runRedisCost({ port: server.port, only: only.length ? only : null, log });
  if (process.env.JSON) console.log(JSON.stringify(r, null, 2));
} finally {
  server.stop();
}
