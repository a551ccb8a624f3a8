// Redis CPU, commands and command time per returning request (read+change and
// read-only), wasm-session beside express-session + connect-redis on one
// redis-server it starts; then bytes per session (MEMORY USAGE) at Redis's
// defaults and with hash-max-listpack-value raised. See lib/redis-cost.js; then
// each command and script alone (lib/redis-commands.js).
//   node bench/tools/redis-cost.js [side id substrings…]   (ROUNDS, REQUESTS, CONCURRENCY; MEMORY_ONLY=1)
import { startRedis, command } from '../lib/redis.js';
import { memoryPerSession, runRedisCost } from '../lib/redis-cost.js';
import { runCommandCost } from '../lib/redis-commands.js';

const { server, reason } = await startRedis();
if (!server) {
  console.error(reason);
  process.exit(1);
}
const log = (s) => process.stderr.write(`${s}\n`);
log(`redis-server ${server.version} on 127.0.0.1:${server.port}`);
try {
  const only = process.argv.slice(2);
  if (process.env.LISTPACK) await command(server.port, ['CONFIG', 'SET', 'hash-max-listpack-value', process.env.LISTPACK], (a) => a.includes('\r\n'));
  const r = process.env.MEMORY_ONLY === '1' ? {} : await runRedisCost({ port: server.port, only: only.length ? only : null, log });
  if (process.env.LISTPACK_COST === '1') {
    // The cost of raising hash-max-listpack-value: one record shape (a cart field > 64 B) stored as a hashtable (made under 64) and as a listpack (made under 256), interleaved.
    r.listpackCost = await runRedisCost({
      port: server.port,
      log,
      defs: [
        { id: 'ws-cart-hashtable', label: 'wasm-session, cart shape, hashtable (made under 64)', kind: 'ws', change: true, touchAfter: 60, shape: 'cart', listpack: 64 },
        { id: 'ws-cart-listpack', label: 'wasm-session, cart shape, listpack (made under 256)', kind: 'ws', change: true, touchAfter: 60, shape: 'cart', listpack: 256, vs: 'ws-cart-hashtable' },
      ],
    });
    await command(server.port, ['CONFIG', 'SET', 'hash-max-listpack-value', '64'], (a) => a.includes('\r\n'));
  }
  if (process.env.MEMORY_ONLY !== '1') r.commands = await runCommandCost({ port: server.port, log });
  r.memory = await memoryPerSession({ port: server.port, log });
  await command(server.port, ['CONFIG', 'SET', 'hash-max-listpack-value', '256'], (a) => a.includes('\r\n'));
  r.memoryListpack256 = await memoryPerSession({ port: server.port, log });
  if (process.env.JSON) console.log(JSON.stringify(r, null, 2));
} finally {
  server.stop();
}
