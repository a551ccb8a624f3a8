// Micro-benchmark of the raw .wasm exports (no TS loader):
//   node crate/bench/wasm-bench.mjs [path/to/module.wasm]
// Reports ns per ws_seal / ws_open of a 30-byte value and per session ID
// (ws_new_ids in batches of 372), including the JS<->wasm crossing and the
// copies a loader would do.
import { readFileSync } from 'node:fs';
import { webcrypto } from 'node:crypto';

const file = process.argv[2] ?? new URL('../../wasm/wasm_session_core.wasm', import.meta.url);
let mem;
const { instance } = await WebAssembly.instantiate(readFileSync(file), {
  env: { ws_random: (p, n) => webcrypto.getRandomValues(new Uint8Array(mem.buffer, p, n)) },
});
const x = instance.exports;
mem = x.memory;
// Cached view, rebuilt only if memory grew (as a loader would do).
let view = new Uint8Array(mem.buffer);
const u8 = () => (view.buffer === mem.buffer ? view : (view = new Uint8Array(mem.buffer)));
const IN = x.ws_in_ptr(), OUT = x.ws_out_ptr();
const enc = new TextEncoder(), dec = new TextDecoder();

const ring = x.ws_ring_new();
const put = (bytes, at = 0) => u8().set(bytes, IN + at);
const secret = enc.encode('0123456789abcdef0123456789abcdef'), name = enc.encode('sid');
put(secret); put(name, secret.length);
if (x.ws_ring_add(ring, secret.length, name.length) !== 0) throw new Error('ring_add');

const value = enc.encode('x'.repeat(30));
const now = Date.now();
function bench(label, n, fn, per = 1) {
  for (let i = 0; i < Math.min(n, 20000); i++) fn();          // warm up
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / n / per);
  }
  console.log(`${label.padEnd(34)} ${best.toFixed(0).padStart(6)} ns`);
}

let token;
bench('ws_seal (30 B value)', 200000, () => {
  put(value);
  const n = x.ws_seal(ring, value.length, now);
  token = u8().slice(OUT, OUT + n);
});
bench('ws_open (30 B value)', 200000, () => {
  put(token);
  const n = x.ws_open(ring, token.length, now, 3600, 60000);
  if (n !== 30) throw new Error('open ' + n);
  u8().slice(OUT, OUT + n);
});
bench('ws_open, bad tag (rejected)', 200000, () => {
  token[40] ^= 1; put(token); token[40] ^= 1;
  if (x.ws_open(ring, token.length, now, 3600, 60000) !== -4) throw new Error('bad');
});
put(value);
bench('ws_seal call only (no JS copies)', 200000, () => { x.ws_seal(ring, 30, now); });
put(token);
bench('ws_open call only (no JS copies)', 200000, () => { x.ws_open(ring, token.length, now, 3600, 60000); });
bench('ws_new_ids(372), per ID', 5000, () => {
  const n = x.ws_new_ids(372);
  dec.decode(u8().subarray(OUT, OUT + n));
}, 372);
bench('ws_new_ids(1), per call', 200000, () => { x.ws_new_ids(1); });
