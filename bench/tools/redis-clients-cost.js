// Issue 38's rows alone: Redis CPU per request on Redis 7.0 (ioredis and
// node-redis) and on Valkey 9.1 (the Lua-free save), beside express-session +
// connect-redis on the same server, interleaved rounds (bench/lib/redis-cost.js).
//   npm run build && node bench/tools/redis-clients-cost.js [ROUNDS=5 REQUESTS=4000]
// Valkey: WS_VALKEY_SERVER, else scripts/fetch-valkey.sh.
import { spawnSync } from 'node:child_process';
import { startRedis } from '../lib/redis.js';
import { VALKEY_DEFS, runRedisCost } from '../lib/redis-cost.js';

const log = (s) => console.log(s);
const rounds = Number(process.env.ROUNDS ?? 5);
const requests = Number(process.env.REQUESTS ?? 4000);
const out = {};
const redis = await startRedis();
if (!redis.server) throw new Error(redis.reason);
try {
  log(`== redis-server ${redis.server.version}`);
  out.redis = await runRedisCost({
    port: redis.server.port,
    rounds,
    requests,
    log,
    defs: [
      { id: 'es-change', label: 'express-session + connect-redis, read+change', kind: 'es', change: true },
      { id: 'ws-change-ta-ap', label: 'wasm-session, read+change, touchAfter 60, ioredis auto-pipelining', kind: 'ws', change: true, touchAfter: 60, autoPipelining: true, vs: 'es-change' },
      { id: 'ws-change-ta-nr', label: 'wasm-session, read+change, touchAfter 60, node-redis', kind: 'ws', change: true, touchAfter: 60, client: 'node-redis', vs: 'es-change' },
      { id: 'es-read', label: 'express-session + connect-redis, read-only', kind: 'es', change: false },
      { id: 'ws-read-ta-ap', label: 'wasm-session, read-only, touchAfter 60, ioredis auto-pipelining', kind: 'ws', change: false, touchAfter: 60, autoPipelining: true, vs: 'es-read' },
      { id: 'ws-read-ta-nr', label: 'wasm-session, read-only, touchAfter 60, node-redis', kind: 'ws', change: false, touchAfter: 60, client: 'node-redis', vs: 'es-read' },
    ],
  });
} finally {
  redis.server.stop();
}
const bin = process.env.WS_VALKEY_SERVER || spawnSync('bash', [new URL('../../scripts/fetch-valkey.sh', import.meta.url).pathname], { encoding: 'utf8' }).stdout.trim();
const valkey = await startRedis({ bin });
if (!valkey.server) throw new Error(valkey.reason);
try {
  log(`== ${valkey.server.version}`);
  out.valkey = await runRedisCost({ port: valkey.server.port, rounds, requests, log, defs: VALKEY_DEFS });
} finally {
  valkey.server.stop();
}
console.log(JSON.stringify(out));
