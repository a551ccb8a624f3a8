// Times each primitive inside the module (no JS crossing per iteration):
//   bash scripts/build-wasm.sh --features bench --out /tmp/bench.wasm
//   node crate/bench/primitives.mjs /tmp/bench.wasm
import { readFileSync } from 'node:fs';
import { webcrypto } from 'node:crypto';

let mem;
const { instance } = await WebAssembly.instantiate(readFileSync(process.argv[2]), {
  env: { ws_random: (p, n) => webcrypto.getRandomValues(new Uint8Array(mem.buffer, p, n)) },
});
const x = instance.exports;
mem = x.memory;
function t(label, fn, n = 100000) {
  fn(n / 10);
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    fn(n);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / n);
  }
  console.log(`${label.padEnd(40)} ${best.toFixed(0).padStart(6)} ns`);
}
t('HMAC-SHA256, 56 B (open/seal: 3 blocks)', (n) => x.ws_bench_hmac(n, 56));
t('HMAC-SHA256, 3 B (1 + 1 blocks)', (n) => x.ws_bench_hmac(n, 3));
t('CFB encrypt 38 B (3 blocks)', (n) => x.ws_bench_cfb(n, 38, 0));
t('CFB encrypt 16 B (1 block)', (n) => x.ws_bench_cfb(n, 16, 0));
t('CFB decrypt 38 B', (n) => x.ws_bench_cfb(n, 38, 1));
t('b64 encode 88 B', (n) => x.ws_bench_b64(n, 88, 0));
t('b64 decode 118 chars', (n) => x.ws_bench_b64(n, 88, 1));
t('rng 16 B', (n) => x.ws_bench_rng(n));
t('AES-256 raw, 1 block', (n) => x.ws_bench_aes(n, 1));
t('AES-256 raw, 2 blocks', (n) => x.ws_bench_aes(n, 2));
t('AES-256 raw, 4 blocks', (n) => x.ws_bench_aes(n, 4));
t('HMAC plain clone+finalize, 56 B', (n) => x.ws_bench_hmac_plain(n, 56));
t('HMAC plain clone+finalize, 3 B', (n) => x.ws_bench_hmac_plain(n, 3));
