/** The manager suite on the in-memory provider, once per crypto backend. */
import { MemoryProvider } from '../../src/providers/memory/provider.js';
import { managerSuite } from './suite.js';

for (const backend of ['native', 'wasm', 'js', 'node'] as const) {
  // One large concurrency case (native, what auto picks on Node); the others test isolation at 20×20.
  const large = backend === 'native' ? { clients: 100, requestsPerClient: 50 } : {};
  managerSuite('memory', () => ({ provider: new MemoryProvider(), close: async () => {} }), { backend, ...large });
}
