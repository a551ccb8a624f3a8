// The wasm loader's open path, step by step (30 B value, its 118-character token):
// what each JS-side step costs next to the raw ws_open call.
// node bench/profile/loader-steps.js
import { readFileSync } from 'node:fs';
import { createCodec } from '../../dist/crypto/index.js';

const SECRET = 'benchmark secret, at least 32 characters long';
const V = 'Vd8fQ2mKx0ZpLr4tYw9uAa:1234567';
const N = 300_000;
const now = Date.now();
let sink = 0;
function best(name, fn) {
  for (let i = 0; i < 20_000; i++) fn();
  let b = Infinity;
  for (let r = 0; r < 5; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < N; i++) fn();
    b = Math.min(b, Number(process.hrtime.bigint() - t) / N);
  }
  console.log(`${name.padEnd(58)} ${b.toFixed(0).padStart(6)} ns`);
}
let mem;
const inst = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(new URL('../../wasm/wasm_session_core.wasm', import.meta.url))), {
  env: { ws_random: (p, l) => crypto.getRandomValues(new Uint8Array(mem.buffer, p, l)) },
});
const x = inst.exports;
mem = x.memory;
const inPtr = x.ws_in_ptr();
const outPtr = x.ws_out_ptr();
const enc = new TextEncoder();
const ring = x.ws_ring_new();
{
  const u = new Uint8Array(mem.buffer);
  const a = enc.encodeInto(SECRET, u.subarray(inPtr)).written;
  const b = enc.encodeInto('sid', u.subarray(inPtr + a)).written;
  x.ws_ring_add(ring, a, b);
}
const u8 = new Uint8Array(mem.buffer);
const vlen = enc.encodeInto(V, u8.subarray(inPtr)).written;
const tlen = x.ws_seal(ring, vlen, now);
const token = Buffer.from(u8.subarray(outPtr, outPtr + tlen)).toString('latin1');
const nodeBuf = Buffer.from(mem.buffer);
const inView = u8.subarray(inPtr, inPtr + 8192);
const codec = createCodec({ secrets: SECRET, name: 'sid', backend: 'wasm' });
const ctoken = codec.seal(V, now);

console.log(`token: ${token.length} characters`);
best('mem.buffer getter', () => { sink ^= mem.buffer.byteLength & 1; });
best('u8.subarray(in, in+8192) (per call in writeString)', () => { sink ^= u8.subarray(inPtr, inPtr + 8192).length; });
best('TextEncoder.encodeInto(token, cached view)', () => { sink ^= enc.encodeInto(token, inView).written; });
best('Buffer.latin1Write / nodeBuf.write(token, in, latin1)', () => { sink ^= nodeBuf.latin1Write(token, inPtr); });
best('nodeBuf.asciiWrite(token, in)', () => { sink ^= nodeBuf.asciiWrite(token, inPtr); });
best('JS loop charCodeAt into u8', () => { for (let i = 0; i < token.length; i++) u8[inPtr + i] = token.charCodeAt(i); sink ^= u8[inPtr]; });
enc.encodeInto(token, inView);
best('raw ws_open', () => { sink ^= x.ws_open(ring, tlen, now, -1, 60000); });
best('ws_opened_issued_at() + ws_opened_key_index()', () => { sink ^= x.ws_opened_issued_at() + x.ws_opened_key_index(); });
best('nodeBuf.utf8Slice(out, out+30)', () => { sink ^= nodeBuf.utf8Slice(outPtr, outPtr + 30).length; });
best('Date.now()', () => { sink ^= Date.now() & 1; });
best('codec.openText(token, { now })', () => { const r = codec.openText(ctoken, { now }); sink ^= r.ok ? 1 : 0; });
best('codec.openText(token) (Date.now inside)', () => { const r = codec.openText(ctoken); sink ^= r.ok ? 1 : 0; });
best('raw ws_seal', () => { sink ^= x.ws_seal(ring, vlen, now); });
best('nodeBuf.latin1Slice(out, out+118)', () => { sink ^= nodeBuf.latin1Slice(outPtr, outPtr + tlen).length; });
best('codec.seal(30 B, now)', () => { sink ^= codec.seal(V, now).length; });
if (sink === 0.5) console.log(sink);
