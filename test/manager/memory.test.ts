/** The manager suite on the in-memory provider, once per crypto backend. */
import { MemoryProvider } from '../../src/providers/memory.js';
import { managerSuite } from './suite.js';

for (const backend of ['native', 'wasm', 'js', 'node'] as const) {
  managerSuite('memory', () => ({ provider: new MemoryProvider(), close: async () => {} }), { backend });
}
