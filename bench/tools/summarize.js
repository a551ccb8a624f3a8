// Summary of a V8 .cpuprofile: top frames by self and total time, the share
// of busy samples spent in wasm-session's own code, GC and socket writes.
//   node bench/tools/summarize.js FILE.cpuprofile [top]
import { readFileSync } from 'node:fs';

export function summarize(file, topN = 30) {
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const opt = (_n, d) => String(topN ?? d);
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfCount = new Map();
  for (const s of prof.samples) selfCount.set(s, (selfCount.get(s) ?? 0) + 1);
  const total = prof.samples.length;
  const key = (n) => {
    const cf = n.callFrame;
    const url = cf.url.replace(/^.*\/(node_modules\/|dist\/|bench\/)/, '$1');
    return `${cf.functionName || '(anonymous)'} ${url ? `${url}:${cf.lineNumber + 1}` : ''}`.trim();
  };
  const self = new Map();
  const incl = new Map();
  for (const [id, c] of selfCount) {
    const k = key(byId.get(id));
    self.set(k, (self.get(k) ?? 0) + c);
    // inclusive: count each distinct frame key once per stack
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const kk = key(byId.get(cur));
      if (seen.has(kk)) continue;
      seen.add(kk);
      incl.set(kk, (incl.get(kk) ?? 0) + c);
    }
  }
  // Share of busy samples spent under a wasm-session frame (dist/), in GC, and in the kernel write.
  let busy = 0;
  let underLib = 0;
  for (const [id, c] of selfCount) {
    const k = key(byId.get(id));
    if (k === '(idle)') continue;
    busy += c;
    // Walk up from the leaf: the first frame that is wasm-session's (dist/) or
    // Node's response writing (node:_http_outgoing, node:net) decides.
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const url = byId.get(cur).callFrame.url;
      if (url.includes('/dist/') || url.startsWith('wasm://')) {
        underLib += c;
        break;
      }
      if (url === 'node:_http_outgoing' || url === 'node:net' || url === 'node:internal/stream_base_commons') break;
    }
  }
  const pctOf = (c) => `${((100 * c) / busy).toFixed(1)}%`;
  console.log(`busy samples: ${busy}; in wasm-session code (dist/ and wasm, not counting Node's response writes below it): ${pctOf(underLib)}; GC: ${pctOf(self.get('(garbage collector)') ?? 0)}; writev/write syscalls: ${pctOf((self.get('writev') ?? 0) + (self.get('writeUtf8String') ?? 0) + (self.get('writeLatin1String') ?? 0))}`);
  const top = (m, n) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, c]) => `${((100 * c) / total).toFixed(1).padStart(5)}%  ${k}`).join('\n');
  console.log(`\n${total} samples. Top by self time:\n${top(self, Number(opt('top', '30')))}`);
  console.log(`\nTop by total time:\n${top(incl, Number(opt('top', '30')) + 10)}`);
  const libIncl = new Map([...incl].filter(([k]) => k.includes('dist/') || k.startsWith('wasm-function')));
  console.log(`\nwasm-session frames by total time:\n${top(libIncl, 25)}`);
}

if (import.meta.url === `file://${process.argv[1]}`) summarize(process.argv[2], Number(process.argv[3] ?? 30));
