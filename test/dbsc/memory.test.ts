/** DBSC on the memory provider. */
import { MemoryProvider } from '../../src/providers/memory.js';
import { dbscSuite } from './suite.js';

dbscSuite('memory', () => new MemoryProvider(), { users: true });
