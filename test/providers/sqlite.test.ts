import { describe, expect, it } from 'vitest';
import { Value } from '../../src/manager/value.js';
import { SqliteProvider } from '../../src/providers/sqlite.js';
import { providerSuite } from './provider-suite.js';
import { sid } from './fixtures.js';
import { sqliteFixture, sqlitePerFile } from './sql-fixtures.js';

const file = sqlitePerFile();

providerSuite('sqlite', () => sqliteFixture(file));

describe('sqlite specifics (smoke)', () => {
  it('restores synchronously', async () => {
    const p = new SqliteProvider(file.db, { ttl: 60, sweepInterval: 0 });
    const id = sid();
    await p.new(id, new Value({ a: 1 }));
    expect(p.restoreSync(id).getValue().get('a')).toBe(1);
  });
});
