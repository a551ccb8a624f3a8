// Writes test/vectors/v1.json: fixed sealed-cookie cases computed by a
// straight-line reading of the format spec over node:crypto, independent of
// src/ (so the backends are checked against the spec, not against themselves).
// Run: node test/vectors/generate.mjs
import { createCipheriv, createHmac, hkdfSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';

const SALT = 'wasm-session/v1';

function keys(secret, name) {
  const enc = Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), SALT, 'enc ' + name, 32));
  const mac = Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), SALT, 'mac ' + name, 32));
  const kid = createHmac('sha256', mac).update('kid').digest()[0];
  return { enc, mac, kid };
}

function seal(secret, name, iv, issuedAt, value) {
  const k = keys(secret, name);
  const ts = Buffer.alloc(8);
  ts.writeBigUInt64BE(BigInt(issuedAt));
  const ct = createCipheriv('aes-256-cfb', k.enc, iv).update(Buffer.concat([ts, value]));
  const head = Buffer.concat([Buffer.from([1, k.kid]), iv, ct]);
  const tag = createHmac('sha256', k.mac).update(head).digest();
  return Buffer.concat([head, tag]).toString('base64url');
}

const S1 = '0123456789abcdef0123456789abcdef';
const S2 = 'an older secret, still accepted for a while';
const ivSeq = Buffer.from([...Array(16).keys()]);
const ivFF = Buffer.alloc(16, 0xff);
const bytes = (n, f = (i) => (i * 31 + 7) & 0xff) => Buffer.from(Array.from({ length: n }, (_, i) => f(i)));

const cases = [
  { label: 'empty value', secrets: [S1], name: 'sid', iv: ivSeq, issuedAt: 1700000000000, value: Buffer.alloc(0) },
  { label: '1 byte', secrets: [S1], name: 'sid', iv: ivSeq, issuedAt: 1700000000000, value: Buffer.from('x') },
  { label: 'hello', secrets: [S1], name: 'sid', iv: ivSeq, issuedAt: 1700000000000, value: Buffer.from('hello') },
  { label: '15 bytes', secrets: [S1], name: 'sid', iv: ivFF, issuedAt: 1, value: bytes(15) },
  { label: '16 bytes', secrets: [S1], name: 'sid', iv: ivFF, issuedAt: 0, value: bytes(16) },
  { label: '17 bytes', secrets: [S1], name: 'sid', iv: ivSeq, issuedAt: 1732550400123, value: bytes(17) },
  { label: 'session id (22 chars)', secrets: [S1], name: 'sid', iv: ivSeq, issuedAt: 1764028800000, value: Buffer.from('Vd8fQ2mKx0ZpLr4tYw9uAa') },
  { label: '3000 bytes', secrets: [S1], name: 'sid', iv: ivSeq, issuedAt: 1764028800000, value: bytes(3000) },
  { label: 'non-ASCII UTF-8', secrets: [S1], name: 'sid', iv: ivSeq, issuedAt: 1764028800000, value: Buffer.from('zürich — 東京 🍪', 'utf8') },
  { label: 'non-ASCII secret and cookie name', secrets: ['ключ-сессии-достаточно-длинный-для-теста'], name: 'séance', iv: ivFF, issuedAt: 1764028800000, value: Buffer.from('ok') },
  { label: 'remember cookie name', secrets: [S1], name: 'remember', iv: ivSeq, issuedAt: 1700000000000, value: Buffer.from('hello') },
  // Rotation: sealed under the old secret; opened by ['new', 'old'] with keyIndex 1.
  { label: 'rotated secret', secrets: [S1, S2], sealIndex: 1, name: 'sid', iv: ivSeq, issuedAt: 1700000000000, value: Buffer.from('hello') },
];

const out = cases.map((c) => {
  const sealIndex = c.sealIndex ?? 0;
  return {
    label: c.label,
    secrets: c.secrets,
    sealIndex,
    name: c.name,
    iv: c.iv.toString('hex'),
    issuedAt: c.issuedAt,
    value: c.value.toString('hex'),
    kid: keys(c.secrets[sealIndex], c.name).kid,
    token: seal(c.secrets[sealIndex], c.name, c.iv, c.issuedAt, c.value),
  };
});
writeFileSync(new URL('./v1.json', import.meta.url), JSON.stringify(out, null, 2) + '\n');
console.log(`wrote ${out.length} vectors`);
