// CPU per returning request of the same Express app without sessions, with
// express-session and with wasm-session/express-session (MemoryStore), in
// process through light-my-request: no sockets and no load generator
// competing for the cores, so steadier than the HTTP rows on a busy machine.
// Interleaved rounds; medians and per-round ratios printed. No asserts.
//   npm run build && node bench/tools/express-session-cpu.js [rounds=5] [requests=10000]
import express from 'express';
import realSession from 'express-session';
import inject from 'light-my-request';
import compat from 'wasm-session/express-session';

const rounds = Number(process.argv[2] ?? 5);
const N = Number(process.argv[3] ?? 10_000);
const SECRET = 'benchmark secret, at least 32 characters long';

function app(factory) {
  const a = express();
  if (factory) a.use(factory({ secret: SECRET, resave: false, saveUninitialized: false, cookie: { maxAge: 86_400_000 } }));
  let plain = 0;
  a.get('/', (req, res) => {
    if (!req.session) return res.type('text/plain').send(String(++plain));
    const n = (req.session.n ?? 0) + 1;
    req.session.n = n;
    res.type('text/plain').send(String(n));
  });
  return a;
}

const rows = [
  { name: 'express, no sessions', app: app(null) },
  { name: 'express + express-session', app: app(realSession) },
  { name: 'express + wasm-session/express-session', app: app(compat) },
];
for (const r of rows) {
  const first = await inject(r.app, { url: '/' });
  const sc = first.headers['set-cookie'];
  r.cookie = sc ? [].concat(sc)[0].split(';')[0] : '';
  r.samples = [];
  for (let i = 0; i < 2000; i++) await inject(r.app, { url: '/', headers: { cookie: r.cookie } });
}
for (let round = 0; round < rounds; round++) {
  for (const r of rows) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < N; i++) await inject(r.app, { url: '/', headers: { cookie: r.cookie } });
    const c = process.cpuUsage(c0);
    r.samples.push((c.user + c.system) / N);
  }
  const [bare, es, ws] = rows.map((r) => r.samples[round]);
  console.log(`round ${round + 1}: ${rows.map((r) => `${r.samples[round].toFixed(1)}`).join(' / ')} µs/req; express-session / ours ${(es / ws).toFixed(2)}×; session part ${(es - bare).toFixed(1)} vs ${(ws - bare).toFixed(1)} µs`);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log('\nmedian CPU µs per returning request:');
for (const r of rows) console.log(`  ${r.name.padEnd(42)} ${median(r.samples).toFixed(1)}`);
const ratios = rows[1].samples.map((es, i) => es / rows[2].samples[i]);
console.log(`  express-session / wasm-session/express-session: median ${median(ratios).toFixed(2)}× (rounds ${ratios.map((x) => x.toFixed(2)).join(', ')})`);
