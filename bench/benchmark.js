// npm run bench: the crypto core side by side, per backend, in one run.
// Reports ops/s, mean ns/op, ±rme and the ratios wasm/js and wasm/node.
// `--quick` takes fewer samples (a smoke run for CI; figures are then rough).
import Benchmark from 'benchmark';
import { createCodec } from '../dist/crypto/index.js';

const quick = process.argv.includes('--quick');
const BACKENDS = ['wasm', 'js', 'node'];
const SECRET = 'benchmark secret, at least 32 characters long';
const VALUE = 'Vd8fQ2mKx0ZpLr4tYw9uAa:1234567'; // 30 bytes: a session ID and a little more
const options = quick ? { maxTime: 0.25, minSamples: 5 } : { maxTime: 2, minSamples: 20 };

const codecs = Object.fromEntries(BACKENDS.map((b) => [b, createCodec({ secrets: SECRET, name: 'sid', backend: b })]));
for (const b of BACKENDS) if (codecs[b].backend !== b) throw new Error(`asked for ${b}, got ${codecs[b].backend}`);
const now = Date.now();
const tokens = Object.fromEntries(BACKENDS.map((b) => [b, codecs[b].seal(VALUE, now)]));

let sink = 0; // keeps results alive so nothing is optimized away
const cases = [];
for (const b of BACKENDS) {
  const c = codecs[b];
  cases.push({ op: 'seal 30 B', backend: b, fn: () => { sink ^= c.seal(VALUE, now).length; } });
  cases.push({ op: 'open 30 B', backend: b, fn: () => { const r = c.openText(tokens[b], { now }); sink ^= r.ok ? r.value.length : 1; } });
  cases.push({ op: 'newSessionId', backend: b, fn: () => { sink ^= c.newSessionId().length; } });
}

const results = [];
const suite = new Benchmark.Suite();
for (const k of cases) suite.add(`${k.op} [${k.backend}]`, k.fn, options);
suite.on('cycle', (e) => {
  const t = e.target;
  const k = cases[results.length];
  results.push({ op: k.op, backend: k.backend, hz: t.hz, meanNs: t.stats.mean * 1e9, rme: t.stats.rme, samples: t.stats.sample.length });
  process.stderr.write(`  ${String(t)}\n`);
});
suite.run();
if (sink === 0.5) console.log(sink);

const fmt = (n) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });
console.log(`\nwasm-session crypto core — Node ${process.version}, ${quick ? 'quick' : 'full'} run\n`);
console.log('| operation | backend | ops/s | mean ns/op | ±rme |');
console.log('|---|---|---:|---:|---:|');
for (const r of results) console.log(`| ${r.op} | ${r.backend} | ${fmt(r.hz)} | ${fmt(r.meanNs)} | ${r.rme.toFixed(1)}% |`);
console.log('\n| operation | wasm/js | wasm/node |');
console.log('|---|---:|---:|');
for (const op of [...new Set(results.map((r) => r.op))]) {
  const hz = (b) => results.find((r) => r.op === op && r.backend === b).hz;
  console.log(`| ${op} | ${(hz('wasm') / hz('js')).toFixed(2)}× | ${(hz('wasm') / hz('node')).toFixed(2)}× |`);
}
