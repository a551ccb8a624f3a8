// wasm-session on a SQL store, node:http: BENCH_PROVIDER = postgres (PostgresProvider over a pg Pool of 10)
// | sqlite (SqliteProvider, a WAL file in a temp dir, synchronous = NORMAL) | memory (MemoryProvider: the
// same handler, for the SQLite comparison). GET /read only reads. BENCH_TOUCH_AFTER (s, default 60):
// the provider's touchAfter, so a read-only request with rolling on writes nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryProvider, Session } from '../../dist/index.js';
import { SECRET, listen, unavailable } from './_common.js';

const which = process.env.BENCH_PROVIDER ?? 'sqlite';
const touchAfter = Number(process.env.BENCH_TOUCH_AFTER ?? 60);
let provider;
let close = async () => {};
if (which === 'postgres') {
  const port = Number(process.env.BENCH_PG_PORT);
  if (!port) unavailable('no PostgreSQL server (postgresql missing?)');
  const { default: pg } = await import('pg');
  const { PostgresProvider } = await import('../../dist/providers/sql/postgres.js');
  const pool = new pg.Pool({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres', max: 10 });
  pool.on('error', () => {});
  provider = new PostgresProvider(pool, { touchAfter, sweepInterval: 0 });
  close = () => pool.end();
} else if (which === 'sqlite') {
  let DatabaseSync;
  try {
    ({ DatabaseSync } = await import('node:sqlite'));
  } catch {
    unavailable(`node:sqlite needs Node >= 22.5 (this is ${process.version})`);
  }
  const { SqliteProvider } = await import('../../dist/providers/sql/sqlite.js');
  const dir = mkdtempSync(join(tmpdir(), 'wasm-session-bench-sqlite-'));
  const db = new DatabaseSync(join(dir, 'sessions.db'));
  db.exec('PRAGMA synchronous = NORMAL');
  provider = new SqliteProvider(db, { touchAfter, sweepInterval: 0 });
  provider.createSchema();
  close = async () => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  };
} else {
  provider = new MemoryProvider({ max: 100_000 });
}
const session = new Session(provider, { cookieSecret: SECRET, backend: process.env.BENCH_BACKEND ?? 'wasm' });
session.on('error', (e) => console.error('session error', e.operation, e.error.message));

const server = createServer(async (req, res) => {
  let store;
  try {
    store = await session.start(req, res);
  } catch {
    res.statusCode = 503;
    return res.end();
  }
  const v = store.getValue();
  // GET /read: a returning request that only reads (restore, nothing to save).
  const n = req.url === '/read' ? v.int('n') : v.int('n') + 1;
  if (req.url !== '/read') v.set('n', n);
  res.setHeader('content-type', 'text/plain');
  res.end(String(n));
});
listen(server, close);
