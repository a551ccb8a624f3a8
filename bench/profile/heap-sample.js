// Preload (node --import ./bench/profile/heap-sample.js server.js): samples
// every allocation, including objects the GC has already collected, and on
// exit prints the allocating functions by bytes (the churn that drives GC).
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';

const session = new Session();
session.connect();
session.post('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
process.on('exit', () => {
  session.post('HeapProfiler.stopSampling', (err, res) => {
    if (err) return console.error(err);
    const by = new Map();
    let total = 0;
    const walk = (n, stack) => {
      const cf = n.callFrame;
      const name = `${cf.functionName || '(anonymous)'} ${cf.url.replace(/^.*\/(node_modules\/|dist\/|bench\/)/, '$1')}:${cf.lineNumber + 1}`;
      if (n.selfSize) {
        by.set(name, (by.get(name) ?? 0) + n.selfSize);
        total += n.selfSize;
      }
      for (const c of n.children) walk(c, stack);
    };
    walk(res.profile.head, []);
    const lines = [...by].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)}%  ${(v / 1e6).toFixed(1).padStart(7)} MB  ${k}`);
    const out = `allocated (sampled): ${(total / 1e6).toFixed(1)} MB\n${lines.join('\n')}\n`;
    if (process.env.HEAP_SAMPLE_OUT) writeFileSync(process.env.HEAP_SAMPLE_OUT, out);
    else process.stderr.write(out);
  });
});
