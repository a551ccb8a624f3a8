/** DBSC on the memory provider. */
import { MemoryProvider } from '../../src/providers/memory/provider.js';
import { dbscSuite } from './suite.js';

dbscSuite('memory', () => new MemoryProvider(), { users: true });
