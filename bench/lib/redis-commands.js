// Where a returning request's Redis CPU goes (issue 31): redis-server CPU
// (INFO cpu delta) per single command, each kind sent on its own by one
// ioredis client with auto-pipelining, `concurrency` in flight (so every kind
// arrives in the same batches as the others), kinds interleaved per round,
// median per kind. The kinds are the plain commands express-session +
// connect-redis send (GET, SET EX, EXPIRE), the ones RedisProvider sends
// (HGETALL, and its save script as it runs on a returning request within
// touchAfter), and Lua's fixed cost beside them (a script that does nothing,
// one that does one HSET), so the rows of the Redis cost table can be read as
// sums of these.
import { Redis } from 'ioredis';
import { RedisProvider } from '../../dist/providers/redis/provider.js';
import { cpuMicros } from './redis.js';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const KEYS = 1000;
// express-session's record for the bench's counter, as connect-redis stores it.
const ES_RECORD = JSON.stringify({ cookie: { originalMaxAge: 86_400_000, expires: '2026-12-08T05:00:00.000Z', httpOnly: true, path: '/' }, n: 5 });
// RedisProvider's save script, by the name the provider gives it (see SCRIPTS in src/providers/redis/provider.ts).
const SAVE_FAST = 'wasmSessionSaveFast1';

export async function runCommandCost({ port, rounds = 5, commands = 20_000, concurrency = 16, log = () => {} }) {
  const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, enableAutoPipelining: true });
  try {
    // Defines the provider's scripts on this client (EVALSHA, loaded on first use).
    const provider = new RedisProvider(client, { prefix: 'cmdcost:' });
    if (typeof client[SAVE_FAST] !== 'function') throw new Error(`RedisProvider no longer defines ${SAVE_FAST}: update bench/lib/redis-commands.js`);
    client.defineCommand('benchLuaNoop', { numberOfKeys: 1, lua: 'return 1' });
    client.defineCommand('benchLuaHset', { numberOfKeys: 1, lua: "redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) return 1" });
    // A session as RedisProvider stores it (marker with a stamp far ahead: no TTL slide is due) and as connect-redis does.
    const far = String(Math.floor(Date.now() / 1000) + 86_400);
    const wsKey = (i) => provider.keyFor(`cmdcost-${i % KEYS}`);
    const esKey = (i) => `cmdcost:es:${i % KEYS}`;
    for (let i = 0; i < KEYS; i++) {
      await client.hset(wsKey(i), '__ws', far, 'n', '5');
      await client.expire(wsKey(i), 86_400);
      await client.set(esKey(i), ES_RECORD, 'EX', 86_400);
    }
    const limit = String(Math.floor(Date.now() / 1000) + 60);
    const kinds = [
      { id: 'get', label: 'GET (connect-redis get)', run: (i) => client.get(esKey(i)) },
      { id: 'set', label: 'SET … EX (connect-redis set)', run: (i) => client.set(esKey(i), ES_RECORD, 'EX', 86_400) },
      { id: 'expire', label: 'EXPIRE (connect-redis touch)', run: (i) => client.expire(esKey(i), 86_400) },
      { id: 'hgetall', label: "HGETALL (RedisProvider's restore)", run: (i) => client.hgetall(wsKey(i)) },
      { id: 'hset', label: 'HSET of one field (no script)', run: (i) => client.hset(wsKey(i), 'n', String(i & 7)) },
      { id: 'lua-noop', label: 'EVALSHA of `return 1` (Lua\'s fixed cost)', run: (i) => client.benchLuaNoop(wsKey(i)) },
      { id: 'lua-hset', label: 'EVALSHA of one HSET', run: (i) => client.benchLuaHset(wsKey(i), 'n', String(i & 7)) },
      // ARGV as the provider sends it within touchAfter: ttl, limit, the marker and its stamp, then the changed field.
      { id: 'save', label: "RedisProvider's save script (HMGET + HSET, no slide due)", run: (i) => client[SAVE_FAST](wsKey(i), 86_400, limit, '__ws', far, 'n', String(i & 7)) },
    ];
    const saved = await client[SAVE_FAST](wsKey(0), 86_400, limit, '__ws', far, 'n', '5');
    if (Number(saved) !== 1) throw new Error(`the save script answered ${saved}: its arguments changed; update bench/lib/redis-commands.js`);
    const drive = async (run, n) => {
      let next = 0;
      await Promise.all(Array.from({ length: concurrency }, async () => {
        while (next < n) await run(next++);
      }));
    };
    for (const k of kinds) await drive(k.run, Math.min(commands, 2000)); // warm-up
    const us = new Map(kinds.map((k) => [k, []]));
    for (let r = 0; r < rounds; r++) {
      for (const k of kinds) {
        const c0 = await cpuMicros(port);
        await drive(k.run, commands);
        us.get(k).push((await cpuMicros(port)) - c0);
      }
    }
    const rows = kinds.map((k) => ({ id: k.id, label: k.label, redisCpuUsPerCommand: Number((median(us.get(k)) / commands).toFixed(2)), runs: us.get(k).map((u) => Number((u / commands).toFixed(2))) }));
    const of = (id) => rows.find((r) => r.id === id).redisCpuUsPerCommand;
    for (const row of rows) log(`  ${row.label.padEnd(58)} ${String(row.redisCpuUsPerCommand).padStart(5)} µs Redis CPU/command (${(row.redisCpuUsPerCommand / of('get')).toFixed(2)}× GET)  [runs ${row.runs.join(' ')}]`);
    // The rows of the cost table as sums of these (what each side sends per returning request).
    const sums = [
      { label: 'read+change: express-session (GET + SET) vs RedisProvider within touchAfter (HGETALL + save script)', es: of('get') + of('set'), ws: of('hgetall') + of('save') },
      { label: 'read+change with the client-side cache (the save script alone)', es: of('get') + of('set'), ws: of('save') },
      { label: 'read-only: express-session (GET + EXPIRE) vs RedisProvider within touchAfter (HGETALL)', es: of('get') + of('expire'), ws: of('hgetall') },
    ].map((s) => ({ ...s, es: Number(s.es.toFixed(2)), ws: Number(s.ws.toFixed(2)), ratio: Number((s.ws / s.es).toFixed(2)) }));
    for (const s of sums) log(`  sum, ${s.label}: ${s.ws} vs ${s.es} µs (${s.ratio}×)`);
    return { settings: { rounds, commands, concurrency, keys: KEYS }, rows, sums };
  } finally {
    await client.quit();
  }
}
