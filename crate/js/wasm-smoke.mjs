// Checks the built module (the fixslice32 AES and soft SHA-256 code paths
// that native `cargo test` on x86_64 does not run) against an independent
// node:crypto implementation of format v1, through the raw exports.
//   node crate/js/wasm-smoke.mjs [path/to/module.wasm]
import { readFileSync } from 'node:fs';
import crypto from 'node:crypto';
import assert from 'node:assert/strict';

const file = process.argv[2] ?? new URL('../../wasm/wasm_session_core.wasm', import.meta.url);
let mem, randomCalls = 0;
const { instance } = await WebAssembly.instantiate(readFileSync(file), {
  env: { ws_random: (p, n) => { randomCalls++; crypto.getRandomValues(new Uint8Array(mem.buffer, p, n)); } },
});
const x = instance.exports;
mem = x.memory;
const u8 = () => new Uint8Array(mem.buffer);
const IN = x.ws_in_ptr(), OUT = x.ws_out_ptr();
const put = (b, at = 0) => u8().set(b, IN + at);
const out = (n) => Buffer.from(u8().slice(OUT, OUT + n));

// Reference implementation (node:crypto).
function refKeys(secret, name) {
  const prk = crypto.createHmac('sha256', 'wasm-session/v1').update(secret).digest();
  const exp = (info) => crypto.createHmac('sha256', prk).update(Buffer.concat([Buffer.from(info), Buffer.from([1])])).digest();
  const enc = exp(Buffer.concat([Buffer.from('enc '), name])), mac = exp(Buffer.concat([Buffer.from('mac '), name]));
  return { enc, mac, kid: crypto.createHmac('sha256', mac).update('kid').digest()[0] };
}
function refSeal(k, iv, issuedAt, value) {
  const ts = Buffer.alloc(8); ts.writeBigUInt64BE(BigInt(issuedAt));
  const c = crypto.createCipheriv('aes-256-cfb', k.enc, iv);
  const ct = Buffer.concat([c.update(Buffer.concat([ts, value])), c.final()]);
  const head = Buffer.concat([Buffer.from([1, k.kid]), iv, ct]);
  return Buffer.concat([head, crypto.createHmac('sha256', k.mac).update(head).digest()]).toString('base64url');
}

let checks = 0;
function ring(secret, name) {
  const r = x.ws_ring_new();
  put(secret); put(name, secret.length);
  assert.equal(x.ws_ring_add(r, secret.length, name.length), 0);
  return r;
}

// Fixed vector.
{
  const r = ring(Buffer.from('0123456789abcdef0123456789abcdef'), Buffer.from('sid'));
  assert.equal(x.ws_ring_kid(r, 0), 93);
  put(Buffer.from('hello')); put(Buffer.from([...Array(16).keys()]), 5);
  const n = x.ws_seal_iv(r, 5, 1700000000000);
  assert.equal(out(n).toString(), 'AV0AAQIDBAUGBwgJCgsMDQ4PrIcPK94ybZdDHF3Vu1JCL42itVFsIkkX1BZ7aLt8JuR0dDGrcBM6fCeVNcEb');
  x.ws_ring_free(r);
  checks++;
}

// Random secrets, names, IVs, values: wasm seal == reference, both open.
for (let i = 0; i < 300; i++) {
  const secret = crypto.randomBytes(i % 70), name = Buffer.from('c' + crypto.randomBytes(i % 9).toString('hex'));
  const k = refKeys(secret, name);
  const r = ring(secret, name);
  assert.equal(x.ws_ring_kid(r, 0), k.kid);
  const len = i < 100 ? i : crypto.randomInt(0, 3015);
  const value = crypto.randomBytes(len), iv = crypto.randomBytes(16);
  const issuedAt = 1_600_000_000_000 + crypto.randomInt(0, 2 ** 40);
  put(value); put(iv, len);
  const n = x.ws_seal_iv(r, len, issuedAt);
  const token = out(n).toString();
  assert.equal(token, refSeal(k, iv, issuedAt, value), `seal len ${len}`);
  put(Buffer.from(token));
  assert.equal(x.ws_open(r, n, issuedAt + 5, 3600, 60000), len);
  assert.deepEqual(out(len), value);
  assert.equal(x.ws_opened_issued_at(), issuedAt);
  // random-IV seal opens too, and a flipped bit does not
  put(value);
  const m = x.ws_seal(r, len, issuedAt);
  const t2 = Buffer.from(out(m));
  put(t2);
  assert.equal(x.ws_open(r, m, issuedAt, -1, 0), len);
  const raw = Buffer.from(t2.toString(), 'base64url');
  raw[2 + crypto.randomInt(0, raw.length - 2)] ^= 1 << crypto.randomInt(0, 8);
  const bad = Buffer.from(raw.toString('base64url'));
  put(bad);
  assert.equal(x.ws_open(r, bad.length, issuedAt, -1, 0), -4);
  x.ws_ring_free(r);
  checks += 4;
}

// IDs.
assert.equal(x.ws_new_ids(372), 372 * 22);
const ids = out(372 * 22).toString();
assert.match(ids, /^[A-Za-z0-9_-]{8184}$/);
assert.equal(new Set(ids.match(/.{22}/g)).size, 372);
assert.ok(randomCalls >= 1);
checks++;

console.log(`wasm-smoke: ${checks} passed, 0 failed`);
