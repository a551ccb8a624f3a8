// The crypto core side by side, per backend, in one process, with the anchors
// (iron-session sealData/unsealData, cookie-signature sign/unsign, nanoid,
// crypto.randomUUID, uid-safe). Benchmark.js: ops/s, mean, ±rme.
import { randomUUID } from 'node:crypto';
import Benchmark from 'benchmark';
import signature from 'cookie-signature';
import { sealData, unsealData } from 'iron-session';
import { nanoid } from 'nanoid';
import uidSafe from 'uid-safe';
import { createCodec, nativeAvailable, resolveBackend } from '../../dist/crypto/index.js';

/** native joins where the addon loads (npm run build:native, or the packed prebuild). */
export const BACKENDS = [...(nativeAvailable() ? ['native'] : []), 'wasm', 'js', 'node'];
export const SECRET = 'benchmark secret, at least 32 characters long';
/** The main sizes; the scaling series adds more. 3000 B: the largest value is 3014 B (a 4096-character token). */
export const SIZES = [30, 256, 2048];
export const SCALING_SIZES = [30, 256, 512, 1024, 2048, 3000];
/** 30 bytes: what the session cookie carries (a 22-character ID, and a little more). */
export const COOKIE_VALUE = 'Vd8fQ2mKx0ZpLr4tYw9uAa:1234567'.slice(0, 30);

function valueOf(size) {
  if (size === 30) return COOKIE_VALUE;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let s = '';
  for (let i = 0; i < size; i++) s += alphabet[(i * 7 + 3) % 64];
  return s;
}

let sink = 0; // keeps results alive so nothing is optimised away

function runSuite(cases, options, log) {
  return new Promise((resolve, reject) => {
    const results = [];
    const suite = new Benchmark.Suite();
    for (const k of cases) {
      if (k.defer) suite.add(k.name, { defer: true, fn: k.fn, ...options });
      else suite.add(k.name, k.fn, options);
    }
    suite.on('cycle', (e) => {
      const t = e.target;
      const k = cases[results.length];
      if (t.error) return reject(t.error);
      results.push({ ...k.meta, hz: t.hz, meanNs: t.stats.mean * 1e9, rme: t.stats.rme, samples: t.stats.sample.length });
      log(`  ${String(t)}`);
    });
    suite.on('complete', () => resolve(results));
    suite.on('error', (e) => reject(e.target.error));
    suite.run({ async: true });
  });
}

/**
 * opts: { options (Benchmark.js), scalingOptions, log }.
 * Returns { ops: [...], scaling: [...] } — each entry { op, backend|impl, size, hz, meanNs, rme, samples }.
 */
export async function runCrypto(opts) {
  const log = opts.log ?? (() => {});
  const codecs = Object.fromEntries(BACKENDS.map((b) => [b, createCodec({ secrets: SECRET, name: 'sid', backend: b })]));
  for (const b of BACKENDS) if (codecs[b].backend !== b) throw new Error(`asked for ${b}, got ${codecs[b].backend}`);
  const now = Date.now();
  const cases = [];
  const addSealOpen = (list, b, size) => {
    const c = codecs[b];
    const v = valueOf(size);
    const token = c.seal(v, now);
    if (c.openText(token, { now }).value !== v) throw new Error(`${b} round trip failed at ${size} B`);
    list.push({ name: `seal ${size} B [${b}]`, meta: { op: 'seal', backend: b, size }, fn: () => { sink ^= c.seal(v, now).length; } });
    list.push({ name: `open ${size} B [${b}]`, meta: { op: 'open', backend: b, size }, fn: () => { const r = c.openText(token, { now }); sink ^= r.ok ? r.value.length : 1; } });
  };
  for (const size of SIZES) for (const b of BACKENDS) addSealOpen(cases, b, size);
  for (const b of BACKENDS) {
    const c = codecs[b];
    cases.push({ name: `newSessionId [${b}]`, meta: { op: 'newSessionId', backend: b }, fn: () => { sink ^= c.newSessionId().length; } });
  }

  // Anchors.
  const ironPassword = SECRET;
  const ironSealed = await sealData(COOKIE_VALUE, { password: ironPassword });
  if ((await unsealData(ironSealed, { password: ironPassword })) !== COOKIE_VALUE) throw new Error('iron-session round trip failed');
  const sid = uidSafe.sync(24);
  const signed = signature.sign(sid, SECRET);
  cases.push({ name: 'iron-session sealData 30 B', meta: { op: 'seal', backend: 'iron-session', size: 30 }, defer: true, fn: (d) => sealData(COOKIE_VALUE, { password: ironPassword }).then((s) => { sink ^= s.length; d.resolve(); }) });
  cases.push({ name: 'iron-session unsealData 30 B', meta: { op: 'open', backend: 'iron-session', size: 30 }, defer: true, fn: (d) => unsealData(ironSealed, { password: ironPassword }).then((s) => { sink ^= String(s).length; d.resolve(); }) });
  cases.push({ name: 'cookie-signature sign (express-session cookie)', meta: { op: 'seal', backend: 'cookie-signature', size: sid.length }, fn: () => { sink ^= signature.sign(sid, SECRET).length; } });
  cases.push({ name: 'cookie-signature unsign', meta: { op: 'open', backend: 'cookie-signature', size: sid.length }, fn: () => { const r = signature.unsign(signed, SECRET); sink ^= r ? r.length : 1; } });
  cases.push({ name: 'nanoid() (126 bits)', meta: { op: 'newSessionId', backend: 'nanoid' }, fn: () => { sink ^= nanoid().length; } });
  cases.push({ name: 'crypto.randomUUID() (122 bits)', meta: { op: 'newSessionId', backend: 'randomUUID' }, fn: () => { sink ^= randomUUID().length; } });
  cases.push({ name: 'uid-safe sync(24) (express-session IDs, 192 bits)', meta: { op: 'newSessionId', backend: 'uid-safe' }, fn: () => { sink ^= uidSafe.sync(24).length; } });

  const ops = await runSuite(cases, opts.options, log);

  // Scaling: seal/open against value size (the sizes not measured above).
  const scaleCases = [];
  for (const size of SCALING_SIZES) if (!SIZES.includes(size)) for (const b of BACKENDS) addSealOpen(scaleCases, b, size);
  const extra = scaleCases.length ? await runSuite(scaleCases, opts.scalingOptions ?? opts.options, log) : [];
  const scaling = [...ops.filter((r) => r.size !== undefined && BACKENDS.includes(r.backend)), ...extra].sort((a, b) => a.size - b.size);
  const rounds = opts.rounds ? interleaved(codecs, now, opts.rounds, log) : null;
  for (const c of Object.values(codecs)) c.dispose();
  if (sink === 0.5) log(String(sink));
  return { ops, scaling, interleaved: rounds, auto: resolveBackend('auto'), backends: BACKENDS };
}

/**
 * The targets' ratios measured directly: per round, every backend seals and
 * opens the same value `iterations` times, backends taking turns (A B C D,
 * A B C D, ...), so a load change on the shared machine hits all of them.
 * Median ns per op over the rounds. `iterations` is per size ({ 30: n, 2048: m }).
 * Returns { rounds, iterations, rows: [{ op, size, backend, ns }] }.
 */
function interleaved(codecs, now, { rounds, iterations }, log) {
  const rows = [];
  for (const size of [30, 2048]) {
    const v = valueOf(size);
    const n = iterations[size];
    for (const op of ['seal', 'open']) {
      const times = Object.fromEntries(BACKENDS.map((b) => [b, []]));
      const tokens = Object.fromEntries(BACKENDS.map((b) => [b, codecs[b].seal(v, now)]));
      for (let r = 0; r < rounds + 1; r++) {
        for (const b of BACKENDS) {
          const c = codecs[b];
          const t = tokens[b];
          const t0 = process.hrtime.bigint();
          if (op === 'seal') for (let i = 0; i < n; i++) sink ^= c.seal(v, now).length;
          else for (let i = 0; i < n; i++) sink ^= c.openText(t, { now }).value.length;
          const ns = Number(process.hrtime.bigint() - t0) / n;
          if (r > 0) times[b].push(ns); // round 0 warms up
        }
      }
      for (const b of BACKENDS) {
        const sorted = times[b].sort((p, q) => p - q);
        rows.push({ op, size, backend: b, ns: sorted[Math.floor(sorted.length / 2)] });
      }
      log(`  interleaved ${op} ${size} B: ${BACKENDS.map((b) => `${b} ${Math.round(rows.find((q) => q.op === op && q.size === size && q.backend === b).ns)} ns`).join(', ')}`);
    }
  }
  return { rounds, iterations, rows };
}
