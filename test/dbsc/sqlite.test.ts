/** DBSC on SQLite (node:sqlite, a WAL database in a temp dir). */
import { SqliteProvider } from '../../src/providers/sql/sqlite.js';
import { sqlitePerFile } from '../providers/sql-fixtures.js';
import { dbscSuite } from './suite.js';

const file = sqlitePerFile();
let n = 0;
dbscSuite('sqlite', () => new SqliteProvider(file.db, { prefix: `dbsc${++n}:`, sweepInterval: 0 }), { users: true });
