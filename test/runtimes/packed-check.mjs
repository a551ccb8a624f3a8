// Run inside a fresh app that installed the packed tarball (scripts/test-packed.sh),
// on the Node under test (x64, or arm64 under qemu). Prints one JSON line.
//   node packed-check.mjs SECRET TOKENS_JSON VECTORS_FILE [bench]
import { readFileSync } from 'node:fs';
import { createCodec, resolveBackend } from 'wasm-session/crypto';
import { Session, MemoryProvider } from 'wasm-session';
// Not an export of the package: the seal-with-a-fixed-IV hook, reached by file for the vectors.
import { SEAL_WITH_IV } from './node_modules/wasm-session/dist/crypto/internal.js';

const [secret, tokensJson, vectorsFile, bench] = process.argv.slice(2);
const fromRepo = JSON.parse(tokensJson);
const hex = (s) => Uint8Array.from(s.match(/../g) ?? [], (b) => parseInt(b, 16));
const toHex = (u) => Array.from(u, (b) => b.toString(16).padStart(2, '0')).join('');

const c = createCodec({ secrets: secret, name: 'sid' });
const opened = Object.fromEntries(Object.entries(fromRepo).map(([b, t]) => [b, c.openText(t, { now: 1000 }).value ?? null]));
let nativeError = null;
try {
  createCodec({ secrets: secret, name: 'sid', backend: 'native' }).dispose();
} catch (e) {
  nativeError = e.code;
}

// The fixed vectors (test/vectors/v1.json) on every backend here: exact tokens, and opened.
const vectorFailures = [];
const backends = nativeError === null ? ['native', 'wasm', 'js', 'node'] : ['wasm', 'js', 'node'];
const vectors = JSON.parse(readFileSync(vectorsFile, 'utf8'));
for (const backend of backends) {
  for (const v of vectors) {
    const sealer = createCodec({ secrets: v.secrets[v.sealIndex], name: v.name, backend });
    const token = sealer[SEAL_WITH_IV](hex(v.value), v.issuedAt, hex(v.iv));
    if (token !== v.token) vectorFailures.push(`${backend} ${v.label}: sealed ${token}`);
    const r = createCodec({ secrets: v.secrets, name: v.name, backend }).open(v.token, { now: v.issuedAt });
    if (!r.ok || toHex(r.value) !== v.value || r.keyIndex !== v.sealIndex) vectorFailures.push(`${backend} ${v.label}: open ${JSON.stringify(r.ok ? { keyIndex: r.keyIndex } : r)}`);
  }
}

// Seal+open of a 100-byte value, native and wasm (a measurement, printed; never asserted).
let perOp = null;
if (bench === 'bench') {
  perOp = {};
  const value = 'x'.repeat(100);
  for (const backend of backends.filter((b) => b === 'native' || b === 'wasm')) {
    const k = createCodec({ secrets: secret, name: 'sid', backend });
    const round = (n) => {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) if (!k.openText(k.seal(value)).ok) throw new Error('round trip failed');
      return Number(process.hrtime.bigint() - t0) / n / 1000;
    };
    round(300); // warm-up (the JIT, under qemu its translation cache too)
    perOp[backend] = Math.min(round(1000), round(1000), round(1000));
  }
}

console.log(JSON.stringify({
  node: process.version, arch: process.arch,
  auto: resolveBackend('auto'), backend: c.backend, nativeError,
  session: new Session(new MemoryProvider(), { cookieSecret: secret }).backend,
  opened, sealed: c.seal('from the app', 2000),
  vectors: vectors.length * backends.length, vectorFailures, perOpMicros: perOp,
}));
