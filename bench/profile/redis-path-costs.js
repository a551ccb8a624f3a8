// Fixed JS costs on the Redis provider's path, per call: the store key
// (sha256 hex of the ID, computed by keyFor() on every restore and save)
// and the per-operation deadline (withDeadline: a timer + Promise.race).
// node bench/profile/redis-path-costs.js
import { storeKey } from '../../dist/providers/keys.js';
import { withDeadline } from '../../dist/providers/deadline.js';

const N = 300_000;
const sid = 'Vd8fQ2mKx0ZpLr4tYw9uAa';
let sink = 0;
const mapErr = (e) => e;
async function best(name, fn) {
  for (let i = 0; i < 20_000; i++) await fn();
  let b = Infinity;
  for (let r = 0; r < 5; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < N; i++) await fn();
    b = Math.min(b, Number(process.hrtime.bigint() - t) / N);
  }
  console.log(`${name.padEnd(52)} ${b.toFixed(0).padStart(6)} ns`);
}
await best('await Promise.resolve(1) (baseline)', async () => { sink ^= await Promise.resolve(1); });
await best('await withDeadline(Promise.resolve(1), 2000)', async () => { sink ^= await withDeadline(Promise.resolve(1), 2000, 'op', mapErr); });
await best('storeKey(prefix, sid) (sha256 hex)', () => { sink ^= storeKey('sess:', sid).length; });
if (sink === 0.5) console.log(sink);
