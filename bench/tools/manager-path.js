// The manager's returning-request path without HTTP: session.start on a
// request carrying the cookie, read + increment a counter, res.end (which
// saves before "sending"). Fake req/res objects with the node:http surface
// the manager uses. Prints µs per request per backend; run with
// `node --cpu-prof bench/tools/manager-path.js wasm` to profile it (ONLY=returning
// skips the new-session path).
import { MemoryProvider, Session } from '../../dist/index.js';
import { FakeRes } from '../lib/fake-res.js';

const SECRET = 'benchmark secret, at least 32 characters long';
const N = Number(process.env.N ?? 200_000);
const backends = process.argv.slice(2).length ? process.argv.slice(2) : ['wasm', 'js', 'node'];


async function handle(session, cookie) {
  const req = { headers: cookie ? { cookie } : {} };
  const res = new FakeRes();
  const finished = new Promise((r) => (res.done = r));
  const store = await session.start(req, res);
  const v = store.getValue();
  v.set('n', v.int('n') + 1);
  res.end('x');
  await finished;
  return res;
}

for (const backend of backends) {
  const session = new Session(new MemoryProvider(), { cookieSecret: SECRET, backend });
  const first = await handle(session, null);
  const cookie = String(first.getHeader('set-cookie')).split(';')[0];
  const time = async (label, cookieOf, n) => {
    for (let i = 0; i < 5000; i++) await handle(session, cookieOf());
    let best = Infinity;
    for (let r = 0; r < 3; r++) {
      const t = process.hrtime.bigint();
      for (let i = 0; i < n; i++) await handle(session, cookieOf());
      best = Math.min(best, Number(process.hrtime.bigint() - t) / n / 1000);
    }
    console.log(`${backend.padEnd(5)} ${label.padEnd(40)} ${best.toFixed(2)} µs/request`);
  };
  await time('returning (open, restore, change, save)', () => cookie, N);
  if (process.env.ONLY !== 'returning') await time('new (new ID, create, seal cookie)', () => null, Math.min(N, 50_000));
}
