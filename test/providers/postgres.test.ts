import { describe, expect, it } from 'vitest';
import { Value } from '../../src/manager/value.js';
import { PostgresProvider } from '../../src/providers/postgres.js';
import { providerSuite } from './provider-suite.js';
import { sid } from './fixtures.js';
import { postgresFixture, postgresPerFile } from './sql-fixtures.js';

const file = postgresPerFile();

providerSuite('postgres', () => postgresFixture(file));

describe('postgres specifics (smoke)', () => {
  it('round-trips', async () => {
    const p = new PostgresProvider(file.pool, { ttl: 60, sweepInterval: 0 });
    const id = sid();
    await p.new(id, new Value({ a: 1 }));
    expect((await p.restore(id)).getValue().get('a')).toBe(1);
  });
});
