/** DBSC on a real PostgreSQL (initdb on a free loopback port). */
import { PostgresProvider } from '../../src/providers/sql/postgres.js';
import { postgresPerFile } from '../providers/sql-fixtures.js';
import { dbscSuite } from './suite.js';

const file = postgresPerFile();
let n = 0;
dbscSuite('postgres', () => new PostgresProvider(file.pool, { prefix: `dbsc${++n}:`, sweepInterval: 0 }), { users: true });
