// Issue 39's durable rows alone: a throwaway redis-server and its replica, the
// default and the durable provider interleaved (bench/lib/redis-durable.js).
//   npm run build && node bench/tools/redis-durable-cost.js   (ROUNDS, REQUESTS)
import { startRedis } from '../lib/redis.js';
import { runDurableCost } from '../lib/redis-durable.js';

const master = await startRedis();
if (!master.server) throw new Error(master.reason);
const replica = await startRedis({ replicaOf: master.server.port });
if (!replica.server) throw new Error(replica.reason);
try {
  const out = await runDurableCost({ port: master.server.port, rounds: Number(process.env.ROUNDS ?? 5), requests: Number(process.env.REQUESTS ?? 4000), log: (s) => console.log(s) });
  console.log(JSON.stringify(out));
} finally {
  replica.server.stop();
  master.server.stop();
}
