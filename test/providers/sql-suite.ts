/**
 * What the SQL providers (PostgreSQL, SQLite) must do beyond the shared
 * provider and users suites: per-key merge of racing writers, touchAfter
 * without writes, expired rows never returned, the bounded sweep, the schema
 * and table option, and SQL injection through every string that reaches a
 * statement.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SessionError } from '../../src/errors.js';
import { Session } from '../../src/session/session.js';
import { Value } from '../../src/manager/value.js';
import type { Provider } from '../../src/providers/provider.js';
import type { SqlRecordStore } from '../../src/providers/sql/record.js';
import { fakeRes, SECRET } from '../users/suite.js';

export interface SqlProvider extends Provider {
  keyFor(sid: string): string;
  readonly prefix: string;
  readonly table: string;
  createSchema(): Promise<void> | void;
  sweep(): Promise<SweepCounts> | SweepCounts;
  close(): void;
  readonly records: SqlRecordStore;
}

interface SweepCounts {
  sessions: number;
  tombstones: number;
  records: number;
}

export interface SqlOptions {
  table?: string;
  prefix?: string;
  ttl?: number;
  touchAfter?: number;
  sweepLimit?: number;
}

export interface SqlAdapter {
  make(options?: SqlOptions): SqlProvider;
  /** Rows of `table` (all of them, expired included), as plain objects. */
  rows(table?: string): Promise<Record<string, unknown>[]>;
  /** Sets a row's expiry into the past (as if its idle timeout had passed). */
  expire(id: string, table?: string): Promise<void>;
  /** Something that changes whenever the row is written (PostgreSQL: xmin; SQLite: the connection's total_changes()). */
  writeMark(id: string): Promise<string>;
  /** A row's expires_at in ms (null = none). */
  expiresAt(id: string): Promise<number | null>;
  /** The tables that exist. */
  tables(): Promise<string[]>;
  /** Runs the schema file (`src/providers/sql/*.sql`) as shipped. */
  schemaFile: string;
  /** The provider's schema function. */
  schema(table?: string): string;
}

const sid = (): string => `sid-${randomUUID()}`;

async function code(p: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    expect(err).toBeInstanceOf(SessionError);
    return (err as SessionError).code;
  }
  return undefined;
}

const NASTY = [
  "'; DROP TABLE wasm_sessions; --",
  '"; DROP TABLE wasm_sessions; --',
  "x' OR '1'='1",
  "') ON CONFLICT DO NOTHING; DELETE FROM wasm_sessions; --",
  '$1 $2 ?; @id :id',
  '\\x00\\\'',
  "Robert'); DROP TABLE wasm_sessions_revoked;--",
];

export function sqlSuite(label: string, a: SqlAdapter): void {
  describe(`SQL provider: ${label}`, () => {
    it('two writers of one session changing different keys both keep their change (per-key merge in one statement)', async () => {
      const p = a.make({ ttl: 60 });
      const id = sid();
      await p.new(id, new Value({ a: 1, b: 2, c: 3 }));
      const s1 = await p.restore(id);
      const s2 = await p.restore(id);
      s1.getValue().set('a', 10).set('x', 'from 1');
      s2.getValue().del('b');
      s2.getValue().set('y', 'from 2');
      await Promise.all([s1.setValue(s1.getValue()), s2.setValue(s2.getValue())]);
      expect((await p.restore(id)).getValue().toJSON()).toEqual({ a: 10, c: 3, x: 'from 1', y: 'from 2' });
    });

    it('values round-trip exactly: NUL and lone surrogates in strings, key order, numbers', async () => {
      const p = a.make({ ttl: 60 });
      const id = sid();
      const v = new Value({ z: 'a\u0000b', lone: '\ud800x', big: 1e21, small: 5e-324, neg: -0.5, nested: { b: 1, a: [true, null] } });
      await p.new(id, v);
      const back = (await p.restore(id)).getValue();
      expect(back.toJSON()).toEqual(v.toJSON());
      expect(back.get('z')).toBe('a\u0000b');
      expect(back.get('lone')).toBe('\ud800x');
    });

    it('restore with touch and touchAfter: a recent session is read with no write; an older one slides', async () => {
      const p = a.make({ ttl: 100, touchAfter: 30 });
      const id = sid();
      await p.new(id, new Value({ a: 1 }));
      const before = await a.writeMark(p.keyFor(id));
      await p.restore(id, { touch: true });
      await p.restore(id, { touch: true });
      expect(await a.writeMark(p.keyFor(id))).toBe(before);
      // A longer TTL: the row's expiry now counts as set more than touchAfter ago.
      const longer = a.make({ ttl: 1000, touchAfter: 30 });
      await longer.restore(id, { touch: true });
      expect(await a.writeMark(p.keyFor(id))).not.toBe(before);
    });

    it('with touchAfter, a save moves expires_at only once it is due (most saves touch no indexed column)', async () => {
      const p = a.make({ ttl: 100, touchAfter: 30 });
      const id = sid();
      const s = await p.new(id, new Value({ a: 1 }));
      const first = await a.expiresAt(p.keyFor(id));
      s.getValue().set('a', 2);
      await s.setValue(s.getValue());
      expect(await a.expiresAt(p.keyFor(id))).toBe(first);
      expect((await p.restore(id)).getValue().get('a')).toBe(2);
      // due (a longer TTL makes it so): the save moves it
      const longer = a.make({ ttl: 1000, touchAfter: 30 });
      const s2 = await longer.restore(id);
      s2.getValue().set('a', 3);
      await s2.setValue(s2.getValue());
      expect(await a.expiresAt(p.keyFor(id))).toBeGreaterThan((first as number) + 800_000);
    });

    it("apps sharing the table under different prefixes: a user's listing and log-out-everywhere see only this app's sessions", async () => {
      const tag = randomUUID().slice(0, 8);
      const user = `u-${randomUUID()}`;
      const one = new Session(a.make({ ttl: 60, prefix: `one-${tag}:` }), { cookieSecret: SECRET, backend: 'node' });
      const two = new Session(a.make({ ttl: 60, prefix: `two-${tag}:` }), { cookieSecret: SECRET, backend: 'node' });
      await one.login({ headers: {} }, fakeRes(), user);
      const kept = await two.login({ headers: {} }, fakeRes(), user);
      await two.login({ headers: {} }, fakeRes(), user);
      expect(await one.userSessions(user)).toHaveLength(1);
      expect(await two.userSessions(user)).toHaveLength(2);
      expect(await one.destroyUserSessions(user)).toBe(1);
      expect(await two.userSessions(user)).toHaveLength(2);
      await expect(two.provider.restore(kept.sessionID())).resolves.toBeDefined();
    });

    it('an expired row (not swept yet) is never returned: restore, save, touch, refresh, list; new may take its ID', async () => {
      const p = a.make({ ttl: 60 });
      const s = new Session(p, { cookieSecret: SECRET, backend: 'node' });
      const user = `u-${randomUUID()}`;
      const bound = await s.login({ headers: {} }, fakeRes(), user);
      const id = sid();
      const storer = await p.new(id, new Value({ a: 1 }));
      await a.expire(p.keyFor(id));
      await a.expire(p.keyFor(bound.sessionID()));
      expect(await code(p.restore(id))).toBe('ERR_SESSION_NOT_FOUND');
      expect(await code(p.restore(id, { touch: true }))).toBe('ERR_SESSION_NOT_FOUND');
      storer.getValue().set('b', 2);
      expect(await code(storer.setValue(storer.getValue()))).toBe('ERR_SESSION_NOT_FOUND');
      expect(await code(storer.touch())).toBe('ERR_SESSION_NOT_FOUND');
      expect(await code(p.refresh(id, sid()))).toBe('ERR_SESSION_NOT_FOUND');
      expect(await s.userSessions(user)).toEqual([]);
      await p.new(id, new Value({ fresh: true }));
      expect((await p.restore(id)).getValue().toJSON()).toEqual({ fresh: true });
    });

    it('the sweep deletes expired rows and tombstones only, at most sweepLimit per call', async () => {
      const prefix = `sweep${randomUUID().slice(0, 8)}:`;
      const p = a.make({ ttl: 60, prefix, sweepLimit: 4 });
      const live = await Promise.all(Array.from({ length: 3 }, async () => (await p.new(sid(), new Value({ live: true }))).sessionID()));
      const dead = Array.from({ length: 10 }, sid);
      for (const id of dead) {
        await p.new(id, new Value({ dead: true }));
        await a.expire(p.keyFor(id));
      }
      const mine = async (): Promise<number> => (await a.rows()).filter((r) => String(r.id).startsWith(prefix)).length;
      expect(await mine()).toBe(13);
      let swept = 0;
      for (let i = 0; i < 10; i++) {
        const n = await p.sweep();
        expect(n.sessions).toBeLessThanOrEqual(4);
        swept += n.sessions;
        if (n.sessions === 0) break;
      }
      // Other tests' expired rows may be swept too; ours are gone and the live ones stay.
      expect(swept).toBeGreaterThanOrEqual(10);
      expect(await mine()).toBe(3);
      for (const id of live) expect((await p.restore(id)).getValue().get('live')).toBe(true);
      // expired tombstones go as well
      const s = new Session(p, { cookieSecret: SECRET, backend: 'node' });
      const user = `sweep-${randomUUID()}`;
      await s.login({ headers: {} }, fakeRes(), user);
      expect(await s.destroyUserSessions(user)).toBe(1);
      const revoked = (await a.rows('wasm_sessions_revoked')).filter((r) => String(r.id).startsWith(prefix));
      expect(revoked).toHaveLength(1);
      await a.expire(String(revoked[0]!.id), 'wasm_sessions_revoked');
      let tombs = 0;
      for (let i = 0; i < 10; i++) {
        const n = await p.sweep();
        tombs += n.tombstones;
        if (n.tombstones === 0 && n.sessions === 0) break;
      }
      expect(tombs).toBeGreaterThanOrEqual(1);
      expect((await a.rows('wasm_sessions_revoked')).filter((r) => String(r.id).startsWith(prefix))).toEqual([]);
    });

    it('the shipped schema file is what createSchema() runs; createSchema() is idempotent', async () => {
      expect(a.schema()).toBe(a.schemaFile);
      const p = a.make();
      await p.createSchema();
      await p.createSchema();
      const custom = a.make({ table: `custom_${randomUUID().replaceAll('-', '').slice(0, 8)}`, ttl: 60 });
      expect(await code(custom.restore(sid()))).toBe('ERR_STORE_UNAVAILABLE'); // no table yet: typed, and no DDL on the way
      await Promise.all([custom.createSchema(), custom.createSchema()]);
      expect(await a.tables()).toEqual(expect.arrayContaining([custom.table, custom.table + '_revoked', custom.table + '_records']));
      const id = sid();
      await custom.new(id, new Value({ in: 'custom' }));
      expect((await custom.restore(id)).getValue().get('in')).toBe('custom');
      expect(await code(a.make({ ttl: 60 }).restore(id))).toBe('ERR_SESSION_NOT_FOUND');
    });

    it('records: create-if-absent, versioned compare-and-set across two providers, expiry on read, the sweep', async () => {
      const prefix = `rec${randomUUID().slice(0, 8)}:`;
      const p = a.make({ prefix, sweepLimit: 3 });
      const q = a.make({ prefix }); // a second app server
      const name = `u\u0000${randomUUID()}`;
      expect(await p.records.get(name)).toBeNull();
      expect(await p.records.put(name, 'one', null, 60)).toBe(true);
      expect(await q.records.put(name, 'other', null, 60)).toBe(false); // only if there is none
      const v1 = (await q.records.get(name))!;
      expect(v1.text).toBe('one');
      // Two servers write over the same version at once: exactly one wins, the other changes nothing.
      const won = await Promise.all([p.records.put(name, 'p', v1.version, 60), q.records.put(name, 'q', v1.version, 60)]);
      expect(won.filter(Boolean)).toHaveLength(1);
      const v2 = (await p.records.get(name))!;
      expect(v2.text).toBe(won[0] ? 'p' : 'q');
      expect(v2.version).not.toBe(v1.version);
      expect(await q.records.put(name, 'stale', v1.version, 60)).toBe(false);
      // Versions `get` never handed out match no row (and reach no statement as SQL).
      for (const bogus of ['', '0', '-1', 'abc', '1 OR 1=1', "1'; --", '99999999999999999999', v2.version + ' ', ' ' + v2.version]) {
        expect(await p.records.put(name, 'bogus', bogus, 60), bogus).toBe(false);
      }
      expect(await p.records.get(name)).toEqual(v2);
      expect(await q.records.put(name, 'three', v2.version, 60)).toBe(true);

      // The row id is a hash of the name; ttl 0 = no expiry.
      const rows = async (): Promise<Record<string, unknown>[]> => (await a.rows('wasm_sessions_records')).filter((r) => String(r.id).startsWith(prefix));
      const forever = `forever-${randomUUID()}`;
      expect(await p.records.put(forever, 'kept', null, 0)).toBe(true);
      expect((await rows()).find((r) => r.id === p.records.keyFor(forever))).toMatchObject({ body: 'kept', expires_at: null });
      expect(p.records.keyFor(name)).toMatch(new RegExp(`^${prefix}[0-9a-f]{64}$`));

      // Expired: gone for get and for a put at its old version; a put of a new record takes its place.
      const v3 = (await p.records.get(name))!;
      await a.expire(p.records.keyFor(name), 'wasm_sessions_records');
      expect(await q.records.get(name)).toBeNull();
      expect(await q.records.put(name, 'late', v3.version, 60)).toBe(false);
      expect(await q.records.put(name, 'again', null, 60)).toBe(true);
      const v4 = (await p.records.get(name))!;
      expect(v4.text).toBe('again');
      expect(v4.version).not.toBe(v3.version);

      // The sweep deletes expired records, at most sweepLimit per call, and leaves live ones.
      const dead = Array.from({ length: 5 }, () => `dead-${randomUUID()}`);
      for (const d of dead) {
        expect(await p.records.put(d, 'dead', null, 60)).toBe(true);
        await a.expire(p.records.keyFor(d), 'wasm_sessions_records');
      }
      expect(await rows()).toHaveLength(7);
      let swept = 0;
      for (let i = 0; i < 10; i++) {
        const n = await p.sweep();
        expect(n.records).toBeLessThanOrEqual(3);
        swept += n.records;
        if (n.records === 0) break;
      }
      expect(swept).toBeGreaterThanOrEqual(5);
      expect((await rows()).map((r) => r.id).sort()).toEqual([p.records.keyFor(name), p.records.keyFor(forever)].sort());
      expect(await p.records.get(forever)).toMatchObject({ text: 'kept' });
    });

    it('the table option takes plain identifiers only', () => {
      for (const table of [...NASTY, 'a.b', 'a b', '1abc', '', 'x'.repeat(41), 'sessions"; --']) {
        expect(() => a.make({ table }), table).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }));
      }
      expect(a.make({ table: 'My_Sessions_2' }).table).toBe('My_Sessions_2');
    });

    it('SQL injection through session IDs, value keys and values, prefixes, user IDs, labels and refs changes nothing', async () => {
      const tablesBefore = (await a.tables()).sort();
      const bystander = a.make({ ttl: 60 });
      const keep = sid();
      await bystander.new(keep, new Value({ keep: true }));
      for (const nasty of NASTY) {
        const p = a.make({ ttl: 60, prefix: nasty });
        const id = nasty + sid();
        await p.new(id, new Value({ [nasty]: nasty }));
        const s = await p.restore(id, { touch: true });
        s.getValue().set(nasty + '2', nasty).del(nasty);
        await s.setValue(s.getValue());
        expect((await p.restore(id)).getValue().toJSON()).toEqual({ [nasty + '2']: nasty });
        const moved = await p.refresh(id, nasty + sid());
        await p.destroy(moved.sessionID());
        await p.destroy(nasty);
        expect(await code(p.restore(nasty))).toBe('ERR_SESSION_NOT_FOUND');
        // the user index: user IDs, labels, refs
        const session = new Session(p, { cookieSecret: SECRET, backend: 'node' });
        const store = await session.login({ headers: {} }, fakeRes(), nasty, { label: nasty });
        const list = await session.userSessions(nasty);
        expect(list.map((e) => e.label)).toEqual([nasty]);
        expect(await p.users!.destroy(nasty, [nasty, "' OR 1=1 --"])).toBe(0);
        expect(await session.userSessions(nasty)).toHaveLength(1);
        expect(await p.users!.revoked!(nasty)).toBe(false);
        await p.users!.logout(store.sessionID(), nasty);
        expect(await session.userSessions(nasty)).toEqual([]);
        // records: names, texts and versions
        expect(await p.records.put(nasty, nasty, null, 60)).toBe(true);
        const got = (await p.records.get(nasty))!;
        expect(got.text).toBe(nasty);
        expect(await p.records.put(nasty, 'x', nasty, 60)).toBe(false);
        expect(await p.records.put(nasty, nasty + '2', got.version, 60)).toBe(true);
        expect((await p.records.get(nasty))!.text).toBe(nasty + '2');
      }
      expect((await a.tables()).sort()).toEqual(tablesBefore);
      expect((await bystander.restore(keep)).getValue().get('keep')).toBe(true);
    });
  });
}
