// The Redis client-side cache's staleness bound: how long after another
// server's write the cached copy is dropped. Two providers on one redis-server,
// each with its own connections (two app servers): A restores a session
// (cached), B changes it; the time from B sending the save (and from B's
// reply) to A's cache dropping the copy (its invalidation event).
import { Redis } from 'ioredis';
import { Value } from '../../dist/index.js';
import { RedisProvider } from '../../dist/providers/redis/provider.js';

const pct = (xs, p) => {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const summary = (xs) => ({ p50: pct(xs, 50), p90: pct(xs, 90), p99: pct(xs, 99), max: Math.max(...xs) });

/** `samples` writes by B to a session A holds cached; ms from B's send and from B's reply to A's drop. */
export async function runInvalidationLatency({ port, samples = 2000, log = () => {} }) {
  const ca = new Redis({ host: '127.0.0.1', port });
  const cb = new Redis({ host: '127.0.0.1', port });
  const a = new RedisProvider(ca, { ttl: 600, cache: { maxBytes: 16 << 20 } });
  const b = new RedisProvider(cb, { ttl: 600 });
  try {
    await a.cache.sync(10_000);
    const fromSend = [];
    const fromReply = [];
    for (let i = 0; i < samples; i++) {
      const id = `lat-${i}-${Math.random()}`;
      await b.new(id, new Value({ n: 0 }));
      await a.restore(id, { touch: true });
      if (a.restoreSync(id, { touch: true }) === null) throw new Error('not cached');
      const sb = await b.restore(id);
      sb.getValue().set('n', 1);
      let dropAt = 0;
      const dropped = new Promise((resolve) => {
        const off = a.cache.onInvalidate(() => {
          if (a.restoreSync(id, { touch: true }) === null) {
            dropAt = performance.now();
            off();
            resolve();
          }
        });
      });
      const sent = performance.now();
      await sb.setValue(sb.getValue());
      const replied = performance.now();
      await dropped;
      fromSend.push(dropAt - sent);
      fromReply.push(dropAt - replied);
    }
    const out = { samples, fromSendMs: summary(fromSend), fromReplyMs: summary(fromReply) };
    const f = (v) => v.toFixed(3);
    for (const [name, s] of [['B sends the save → A drops', out.fromSendMs], ['B gets the reply → A drops (negative: before the reply)', out.fromReplyMs]]) {
      log(`  invalidation latency, ${name}: p50 ${f(s.p50)} ms, p90 ${f(s.p90)} ms, p99 ${f(s.p99)} ms, max ${f(s.max)} ms`);
    }
    return out;
  } finally {
    a.cache.close();
    ca.disconnect();
    cb.disconnect();
  }
}
