/** Sessions a user can manage, on the memory provider (two app servers in one process share one provider). */
import { MemoryProvider } from '../../src/providers/memory/provider.js';
import { manageSuite } from './manage-suite.js';

manageSuite('memory', {
  providers: () => {
    const p = new MemoryProvider();
    return [p, p];
  },
});
