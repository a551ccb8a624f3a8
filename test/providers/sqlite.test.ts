/** SqliteProvider on a WAL database file: the provider suite, the SQL suite, and what only SQLite does. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Session } from '../../src/session/session.js';
import { Value } from '../../src/manager/value.js';
import { SqliteProvider, sqliteSchema } from '../../src/providers/sql/sqlite.js';
import { SECRET, fakeRes } from '../users/suite.js';
import { providerSuite } from './provider-suite.js';
import { sid } from './fixtures.js';
import { DatabaseSync, sqliteFixture, sqlitePerFile } from './sql-fixtures.js';
import { sqlSuite } from './sql-suite.js';

const file = sqlitePerFile();

providerSuite('sqlite', () => sqliteFixture(file));

sqlSuite('sqlite', {
  make: (options) => new SqliteProvider(file.db, { sweepInterval: 0, ...options }),
  rows: async (table = 'wasm_sessions') => file.db.prepare(`SELECT * FROM "${table}"`).all().map((r) => ({ ...(r as Record<string, unknown>) })),
  expire: async (id, table = 'wasm_sessions') => {
    file.db.prepare(`UPDATE "${table}" SET expires_at = ? WHERE id = ?`).run(Date.now() - 1000, id);
  },
  writeMark: async (id) => {
    const row = file.db.prepare('SELECT expires_at, data FROM wasm_sessions WHERE id = ?').get(id) as { expires_at: number; data: string };
    return `${row.expires_at} ${row.data}`;
  },
  expiresAt: async (id) => (file.db.prepare('SELECT expires_at FROM wasm_sessions WHERE id = ?').get(id) as { expires_at: number | null }).expires_at,
  tables: async () => file.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((r) => (r as { name: string }).name),
  schemaFile: readFileSync(new URL('../../src/providers/sql/sqlite.sql', import.meta.url), 'utf8'),
  schema: sqliteSchema,
});

describe('sqlite specifics', () => {
  it('createSchema() puts the database in WAL mode', () => {
    expect(file.db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
  });

  it('restores and saves synchronously (restoreSync, setValueSync)', async () => {
    const p = new SqliteProvider(file.db, { ttl: 60, sweepInterval: 0 });
    const id = sid();
    await p.new(id, new Value({ a: 1 }));
    const s = p.restoreSync(id);
    expect(s.getValue().get('a')).toBe(1);
    s.getValue().set('b', 2);
    expect(s.setValueSync!(s.getValue())).toBe(true);
    expect(p.restoreSync(id).getValue().toJSON()).toEqual({ a: 1, b: 2 });
  });

  it('a returning request through the Session waits on no store promise (restoreSync path)', async () => {
    const p = new SqliteProvider(file.db, { sweepInterval: 0 });
    const s = new Session(p, { cookieSecret: SECRET, backend: 'node' });
    const res = fakeRes();
    const first = await s.start({ headers: {} }, res);
    first.getValue().set('n', 1);
    await first.save();
    const cookie = (res.getHeader('set-cookie') as string[])[0]!.split(';')[0]!;
    // begin() (what the adapters call) answers with the store itself: restoreSync, no promise on the way.
    const again = s.begin({ headers: { cookie } }, fakeRes());
    expect(again).not.toBeInstanceOf(Promise);
    const store = again as Exclude<typeof again, Promise<unknown>>;
    expect(store.getValue().get('n')).toBe(1);
    store.getValue().set('n', 2);
    await store.save();
    expect((p.restoreSync(store.sessionID())).getValue().get('n')).toBe(2);
  });

  it('another connection holding the write lock: reads go on (WAL), writes are ERR_STORE_UNAVAILABLE after the busy timeout, then recover', async () => {
    const other = new DatabaseSync(file.path);
    const own = new DatabaseSync(file.path);
    try {
      const p = new SqliteProvider(own, { ttl: 60, timeout: 200, sweepInterval: 0 });
      const id = sid();
      const s = await p.new(id, new Value({ a: 1 }));
      other.exec('BEGIN IMMEDIATE');
      try {
        expect(p.restoreSync(id).getValue().get('a')).toBe(1);
        s.getValue().set('b', 2);
        expect(() => s.setValueSync!(s.getValue())).toThrow(expect.objectContaining({ code: 'ERR_STORE_UNAVAILABLE' }));
        await expect(p.new(sid())).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
      } finally {
        other.exec('COMMIT');
      }
      s.getValue().set('b', 2);
      await s.setValue(s.getValue());
      expect(p.restoreSync(id).getValue().toJSON()).toEqual({ a: 1, b: 2 });
    } finally {
      other.close();
      own.close();
    }
  });

  it('a closed database is ERR_STORE_UNAVAILABLE, not a crash', async () => {
    const db = new DatabaseSync(':memory:');
    const p = new SqliteProvider(db, { sweepInterval: 0 });
    p.createSchema();
    const id = sid();
    await p.new(id);
    db.close();
    await expect(p.restore(id)).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    await expect(p.new(sid())).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    await expect(p.records.get('u')).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    await expect(p.records.put('u', 'x', null, 60)).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
  });

  it('a database from before the records table: records say to run createSchema(), the sweep still sweeps sessions, createSchema() adds it', async () => {
    const db = new DatabaseSync(':memory:');
    try {
      const p = new SqliteProvider(db, { ttl: 60, sweepInterval: 0 });
      p.createSchema();
      db.exec('DROP TABLE wasm_sessions_records');
      const id = sid();
      await p.new(id);
      db.prepare('UPDATE wasm_sessions SET expires_at = ? WHERE id = ?').run(Date.now() - 1000, p.keyFor(id));
      await expect(p.records.get('u')).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', message: expect.stringContaining('createSchema()') });
      expect(() => p.sweep()).toThrow(expect.objectContaining({ code: 'ERR_STORE_UNAVAILABLE' }));
      expect(db.prepare('SELECT count(*) AS n FROM wasm_sessions').get()).toEqual({ n: 0 });
      p.createSchema();
      expect(await p.records.put('u', 'x', null, 60)).toBe(true);
      expect(p.sweep()).toEqual({ sessions: 0, tombstones: 0, records: 0 });
    } finally {
      db.close();
    }
  });
});
