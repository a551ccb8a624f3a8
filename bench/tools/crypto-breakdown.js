// Where the time of a 30 B wasm seal/open goes: the raw WASM export (ws_seal /
// ws_open, called directly on the shared instance) against the codec method
// (loader: UTF-8 in, the call, latin1/UTF-8 out, result object), and the same
// for the node and js backends. Tight loops, best of 5 batches.
// node bench/tools/crypto-breakdown.js      (add --cpu-prof to profile)
import { readFileSync } from 'node:fs';
import { createCodec } from '../../dist/crypto/index.js';

const SECRET = 'benchmark secret, at least 32 characters long';
const V = 'Vd8fQ2mKx0ZpLr4tYw9uAa:1234567';
const N = Number(process.env.N ?? 200_000);
const now = Date.now();
let sink = 0;

function best(name, fn) {
  for (let i = 0; i < 20_000; i++) fn();
  let bestNs = Infinity;
  for (let b = 0; b < 5; b++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < N; i++) fn();
    bestNs = Math.min(bestNs, Number(process.hrtime.bigint() - t) / N);
  }
  console.log(`${name.padEnd(44)} ${bestNs.toFixed(0).padStart(6)} ns/op`);
  return bestNs;
}

const codecs = Object.fromEntries(['wasm', 'node', 'js'].map((b) => [b, createCodec({ secrets: SECRET, name: 'sid', backend: b })]));
const tokens = Object.fromEntries(Object.entries(codecs).map(([b, c]) => [b, c.seal(V, now)]));

// A second instance of the module, to call its exports raw.
const wasmBytes = readFileSync(new URL('../../wasm/wasm_session_core.wasm', import.meta.url));
let mem;
const inst = new WebAssembly.Instance(new WebAssembly.Module(wasmBytes), { env: { ws_random: (p, l) => crypto.getRandomValues(new Uint8Array(mem.buffer, p, l)) } });
const x = inst.exports;
mem = x.memory;
const inPtr = x.ws_in_ptr();
const u8 = () => new Uint8Array(mem.buffer);
const enc = new TextEncoder();
const ring = x.ws_ring_new();
{
  const a = enc.encodeInto(SECRET, u8().subarray(inPtr)).written;
  const b = enc.encodeInto('sid', u8().subarray(inPtr + a)).written;
  x.ws_ring_add(ring, a, b);
}
const vlen = enc.encodeInto(V, u8().subarray(inPtr)).written;
const tlen = x.ws_seal(ring, vlen, now);
const outPtr = x.ws_out_ptr();
const token = Buffer.from(u8().subarray(outPtr, outPtr + tlen)).toString('latin1');

console.log(`Node ${process.version}; ${N} iterations × 5, best batch`);
best('raw ws_seal (value already in IN)', () => { sink ^= x.ws_seal(ring, vlen, now); });
enc.encodeInto(token, u8().subarray(inPtr));
best('raw ws_open (token already in IN)', () => { sink ^= x.ws_open(ring, tlen, now, -1, 60000); });
best('raw ws_new_ids(64): one call, 64 IDs', () => { sink ^= x.ws_new_ids(64); });
for (const b of ['wasm', 'node', 'js']) {
  const c = codecs[b];
  best(`${b}: codec.seal(30 B)`, () => { sink ^= c.seal(V, now).length; });
  best(`${b}: codec.openText(token)`, () => { const r = c.openText(tokens[b], { now }); sink ^= r.ok ? r.value.length : 1; });
  best(`${b}: codec.newSessionId()`, () => { sink ^= c.newSessionId().length; });
}
if (sink === 0.5) console.log(sink);
