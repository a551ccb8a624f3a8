// CPU per returning request (read the counter, change it, save, re-send the
// cookie) of the same Express app with no sessions, express-session, and the
// drop-in in both cookie formats, in process (light-my-request: no sockets,
// no load generator on the same cores), in interleaved rounds. Medians.
//
//   node bench/tools/express-session-cpu.js [requests per round, default 10000] [rounds, default 5]
//
// `npm run build` first (the drop-in is loaded as `wasm-session/express-session`).
import express from 'express';
import inject from 'light-my-request';
import expressSession from 'express-session';
import dropIn from 'wasm-session/express-session';

const N = Number(process.argv[2] ?? 10_000);
const ROUNDS = Number(process.argv[3] ?? 5);
const SECRET = 'a bench secret that is at least 32 characters long';
const options = { secret: SECRET, resave: false, saveUninitialized: false, cookie: { maxAge: 86_400_000 } };

const apps = {
  'express, no sessions': null,
  'express + express-session (MemoryStore)': expressSession(options),
  'express + wasm-session/express-session (MemoryStore)': dropIn(options),
  "express + wasm-session/express-session (MemoryStore), cookieFormat 'signed'": dropIn({ ...options, cookieFormat: 'signed' }),
};

const made = {};
for (const [label, mw] of Object.entries(apps)) {
  const app = express();
  if (mw) app.use(mw);
  let plain = 0;
  app.get('/', (req, res) => {
    const n = mw ? (req.session.n = (req.session.n ?? 0) + 1) : ++plain;
    res.type('text/plain').send(String(n));
  });
  const first = await inject(app, { url: '/' });
  const cookie = mw ? String(first.headers['set-cookie']).split(';')[0] : '';
  made[label] = { app, headers: cookie ? { cookie } : {} };
}

const samples = Object.fromEntries(Object.keys(made).map((k) => [k, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [label, { app, headers }] of Object.entries(made)) {
    const t = process.cpuUsage();
    for (let i = 0; i < N; i++) {
      const r = await inject(app, { url: '/', headers });
      if (r.statusCode !== 200) throw new Error(`${label}: ${r.statusCode}`);
    }
    const d = process.cpuUsage(t);
    samples[label].push((d.user + d.system) / N);
  }
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
console.log(`| | CPU µs/request (median of ${ROUNDS} × ${N}) | rounds |\n|---|---:|---|`);
for (const [label, v] of Object.entries(samples)) console.log(`| ${label} | ${median(v).toFixed(0)} | ${v.map((x) => x.toFixed(0)).join(' ')} |`);
const [es, ours] = [samples['express + express-session (MemoryStore)'], samples['express + wasm-session/express-session (MemoryStore)']];
const ratios = es.map((x, i) => x / ours[i]);
console.log(`\nexpress-session / wasm-session/express-session (sealed), per round: median ${median(ratios).toFixed(2)}× (${ratios.map((x) => x.toFixed(2)).join(', ')})`);
