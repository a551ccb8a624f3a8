/** PostgresProvider on a throwaway PostgreSQL: the provider suite, the SQL suite, and what only PostgreSQL does. */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { Value } from '../../src/manager/value.js';
import { PostgresProvider, postgresSchema } from '../../src/providers/sql/postgres.js';
import { providerSuite } from './provider-suite.js';
import { sid } from './fixtures.js';
import { postgresFixture, postgresPerFile } from './sql-fixtures.js';
import { sqlSuite } from './sql-suite.js';

const file = postgresPerFile();

providerSuite('postgres', () => postgresFixture(file));

sqlSuite('postgres', {
  make: (options) => new PostgresProvider(file.pool, { sweepInterval: 0, ...options }),
  rows: async (table = 'wasm_sessions') => (await file.pool.query(`SELECT * FROM "${table}"`)).rows as Record<string, unknown>[],
  expire: async (id, table = 'wasm_sessions') => {
    await file.pool.query(`UPDATE "${table}" SET expires_at = now() - interval '1 second' WHERE id = $1`, [id]);
  },
  writeMark: async (id) => String((await file.pool.query('SELECT xmin::text AS x FROM wasm_sessions WHERE id = $1', [id])).rows[0]?.x),
  expiresAt: async (id) => {
    const v = (await file.pool.query('SELECT (extract(epoch FROM expires_at) * 1000)::float8 AS e FROM wasm_sessions WHERE id = $1', [id])).rows[0]?.e as number | null;
    return v ?? null;
  },
  tables: async () => (await file.pool.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).rows.map((r: { tablename: string }) => r.tablename),
  schemaFile: readFileSync(new URL('../../src/providers/sql/postgres.sql', import.meta.url), 'utf8'),
  schema: postgresSchema,
});

/** The statement names a block sends through the pool (pg.Client.prototype.query, for this test only). */
async function sent(block: () => Promise<unknown>): Promise<string[]> {
  const names: string[] = [];
  const proto = pg.Client.prototype as unknown as { query: (...a: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: unknown, ...a: unknown[]) {
    const config = a[0] as { name?: string } | string;
    names.push(typeof config === 'string' ? config : (config.name ?? '?'));
    return original.apply(this, a);
  };
  try {
    await block();
  } finally {
    proto.query = original;
  }
  return names.map((n) => n.replace(/^ws_|_wasm_sessions$/g, ''));
}

describe('postgres specifics', () => {
  it('restore, restore with touch, save, new, destroy are one statement each', async () => {
    const p = new PostgresProvider(file.pool, { ttl: 60, sweepInterval: 0 });
    const id = sid();
    const s = await p.new(id, new Value({ warm: 1 }));
    expect(await sent(() => p.restore(id))).toEqual(['restore_many']);
    expect(await sent(() => p.restore(id, { touch: true }))).toEqual(['restore_touch']);
    s.getValue().set('a', 1).set('b', 2);
    s.getValue().del('warm');
    expect(await sent(() => s.setValue(s.getValue()))).toEqual(['merge']);
    expect(await sent(() => s.setValue(new Value({ all: 1 })))).toEqual(['replace']);
    expect(await sent(() => p.new(sid()))).toEqual(['insert']);
    expect(await sent(() => p.destroy(id))).toEqual(['destroy']);
  });

  it('records: get, put of a new record and put at a version are one statement each; a bogus version sends none', async () => {
    const p = new PostgresProvider(file.pool, { ttl: 60, sweepInterval: 0 });
    const name = `one-statement-${sid()}`;
    expect(await sent(() => p.records.put(name, 'a', null, 60))).toEqual(['record_add']);
    const got = (await p.records.get(name))!;
    expect(await sent(() => p.records.get(name))).toEqual(['record_get']);
    expect(await sent(() => p.records.put(name, 'b', got.version, 60))).toEqual(['record_set']);
    expect(await sent(() => p.records.put(name, 'c', 'not-a-version', 60))).toEqual([]);
    expect(await sent(() => p.sweep())).toEqual(['sweep', 'sweep_records']);
  });

  it('with touchAfter, restore with touch is one plain SELECT; a second statement slides expires_at only once it is due', async () => {
    const p = new PostgresProvider(file.pool, { ttl: 100, touchAfter: 30, sweepInterval: 0 });
    const id = sid();
    await p.new(id, new Value({ a: 1 }));
    expect(await sent(() => p.restore(id, { touch: true }))).toEqual(['restore_many']);
    await file.pool.query(`UPDATE wasm_sessions SET expires_at = now() + interval '50 seconds' WHERE id = $1`, [p.keyFor(id)]);
    expect(await sent(() => p.restore(id, { touch: true }))).toEqual(['restore_many', 'slide']);
    const ttl = (await file.pool.query('SELECT extract(epoch FROM expires_at - now())::float8 AS t FROM wasm_sessions WHERE id = $1', [p.keyFor(id)])).rows[0].t as number;
    expect(ttl).toBeGreaterThan(90);
    expect(await sent(() => p.restore(id, { touch: true }))).toEqual(['restore_many']);
  });

  it('restores arriving in one turn share one read statement; each gets its own copy, unknown IDs are not found', async () => {
    const p = new PostgresProvider(file.pool, { ttl: 60, sweepInterval: 0 });
    const ids = Array.from({ length: 100 }, sid);
    await Promise.all(ids.map((id, i) => p.new(id, new Value({ i }))));
    let results: PromiseSettledResult<Awaited<ReturnType<typeof p.restore>>>[] = [];
    const names = await sent(async () => {
      results = await Promise.allSettled([...ids, ids[0]!, 'unknown-' + sid()].map((id) => p.restore(id)));
    });
    expect(names).toEqual(['restore_many', 'restore_many']); // 64 + the rest
    ids.forEach((_, i) => expect((results[i] as PromiseFulfilledResult<{ getValue(): Value }>).value.getValue().get('i')).toBe(i));
    const twice = [results[0], results[100]] as PromiseFulfilledResult<{ getValue(): Value }>[];
    expect(twice[0]!.value.getValue()).not.toBe(twice[1]!.value.getValue());
    expect((results[101] as PromiseRejectedResult).reason).toMatchObject({ code: 'ERR_SESSION_NOT_FOUND' });
  });

  it('the data column is jsonb, each key holding its JSON text: queryable with ->> and ::jsonb', async () => {
    const p = new PostgresProvider(file.pool, { ttl: 60, sweepInterval: 0 });
    const id = sid();
    await p.new(id, new Value({ cart: [1, 2], user: { name: 'Zoë' } }));
    const row = (await file.pool.query(`SELECT (data->>'user')::jsonb->>'name' AS name, jsonb_typeof(data) AS t FROM wasm_sessions WHERE id = $1`, [p.keyFor(id)])).rows[0];
    expect(row).toEqual({ name: 'Zoë', t: 'object' });
  });

  it('two providers on different tables share one Pool (statement names differ per table)', async () => {
    const other = new PostgresProvider(file.pool, { table: 'other_sessions', ttl: 60, sweepInterval: 0 });
    await other.createSchema();
    const p = new PostgresProvider(file.pool, { ttl: 60, sweepInterval: 0 });
    const id = sid();
    await Promise.all([p.new(id, new Value({ t: 'default' })), other.new(id, new Value({ t: 'other' }))]);
    for (let i = 0; i < 12; i++) {
      expect((await p.restore(id)).getValue().get('t')).toBe('default');
      expect((await other.restore(id)).getValue().get('t')).toBe('other');
    }
  });

  it('the sweep timer runs on its own (sweepInterval) and stops with close()', async () => {
    const prefix = 'timer:';
    const p = new PostgresProvider(file.pool, { ttl: 60, prefix, sweepInterval: 1 });
    try {
      const id = sid();
      await p.new(id);
      await file.pool.query(`UPDATE wasm_sessions SET expires_at = now() - interval '1 second' WHERE id = $1`, [p.keyFor(id)]);
      const deadline = Date.now() + 20_000;
      for (;;) {
        const n = (await file.pool.query('SELECT count(*)::int AS n FROM wasm_sessions WHERE id = $1', [p.keyFor(id)])).rows[0].n as number;
        if (n === 0) break;
        if (Date.now() > deadline) throw new Error('the sweep timer never deleted the expired row');
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      p.close();
    }
  }, 30_000);
});
