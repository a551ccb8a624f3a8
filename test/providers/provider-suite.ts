/**
 * The provider-level contract suite, run against every real store set-up
 * (single Redis, Redis Cluster, single memcached, memjs over two memcached).
 */
import { createHash, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SessionError } from '../../src/errors.js';
import { Value } from '../../src/manager/value.js';
import type { Provider } from '../../src/providers/provider.js';

export interface SuiteProviderOptions {
  prefix?: string;
  ttl?: number;
}

export interface ProviderFixture {
  /** A provider on the fixture's client. */
  make(options?: SuiteProviderOptions): Provider & { keyFor(sid: string): string };
  /** Whole-record snapshot of a store key (undefined = absent), to compare before/after. */
  raw(key: string): Promise<unknown>;
  /** Remaining TTL in seconds: -1 = no expiry, undefined = absent. */
  rawTtl(key: string): Promise<number | undefined>;
  /** Ways to write a corrupt record by hand at `key`. */
  corruptions: Record<string, (key: string) => Promise<void>>;
  /** TTL (s) for the expiry test: long enough for the store's clock granularity. */
  expiryTtl: number;
  /** Redis merges concurrent writes per key; memcached is last-write-wins. */
  perKeyMerge: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function rejectsWith(p: Promise<unknown>, code: string): Promise<SessionError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(SessionError);
    expect((err as SessionError).code).toBe(code);
    return err as SessionError;
  }
  throw new Error(`expected a rejection with ${code}`);
}

export function providerSuite(label: string, fixture: () => ProviderFixture): void {
  describe(`provider suite: ${label}`, () => {
    const sid = (): string => `sid-${randomUUID()}`;

    describe('new', () => {
      it('creates an empty session that exists in the store', async () => {
        const p = fixture().make({ ttl: 60 });
        const id = sid();
        const s = await p.new(id);
        expect(s.sessionID()).toBe(id);
        expect(s.getValue().size).toBe(0);
        const back = await p.restore(id);
        expect(back.sessionID()).toBe(id);
        expect(back.getValue().size).toBe(0);
      });

      it('stores the initial value and marks it saved', async () => {
        const p = fixture().make({ ttl: 60 });
        const id = sid();
        const init = new Value();
        init.set('user', { id: 7, name: 'Zoë', roles: ['a', 'b'] }).set('n', 1.5).set('flag', true).set('nil', null);
        init.set('', 'empty key').set('ключ', 'ünïcødé ✓');
        const s = await p.new(id, init);
        expect(s.getValue().isChanged()).toBe(false);
        const back = (await p.restore(id)).getValue();
        expect(back.toJSON()).toEqual({
          user: { id: 7, name: 'Zoë', roles: ['a', 'b'] },
          n: 1.5,
          flag: true,
          nil: null,
          '': 'empty key',
          ключ: 'ünïcødé ✓',
        });
      });

      it('round-trips __proto__ and constructor keys (new, save, refresh) without touching a prototype', async () => {
        const p = fixture().make({ ttl: 60 });
        const id = sid();
        const init = new Value().set('__proto__', { polluted: true }).set('constructor', 'c').set('hasOwnProperty', 1);
        await p.new(id, init);
        const first = await p.restore(id);
        expect(first.getValue().keys().sort()).toEqual(['__proto__', 'constructor', 'hasOwnProperty']);
        expect(first.getValue().get('__proto__')).toEqual({ polluted: true });
        await first.setValue(first.getValue().set('__proto__', 'changed'));
        const moved = await p.refresh(id, sid());
        const back = (await p.restore(moved.sessionID())).getValue();
        expect(back.get('__proto__')).toBe('changed');
        expect(back.get('constructor')).toBe('c');
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      });

      it('is create-if-absent: an existing ID rejects with ERR_DUPLICATE_ID and keeps its data', async () => {
        const p = fixture().make({ ttl: 60 });
        const id = sid();
        await p.new(id, new Value({ keep: 1 }));
        await rejectsWith(p.new(id, new Value({ other: 2 })), 'ERR_DUPLICATE_ID');
        expect((await p.restore(id)).getValue().toJSON()).toEqual({ keep: 1 });
      });

      it('concurrent creates of one ID: exactly one wins', async () => {
        const p = fixture().make({ ttl: 60 });
        const id = sid();
        const results = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) => p.new(id, new Value({ i }))),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of results) {
          if (r.status === 'rejected') expect((r.reason as SessionError).code).toBe('ERR_DUPLICATE_ID');
        }
      });
    });

    describe('restore', () => {
      it('rejects an unknown ID with ERR_SESSION_NOT_FOUND (with and without touch)', async () => {
        const p = fixture().make({ ttl: 60 });
        await rejectsWith(p.restore(sid()), 'ERR_SESSION_NOT_FOUND');
        await rejectsWith(p.restore(sid(), { touch: true }), 'ERR_SESSION_NOT_FOUND');
      });

      it('restore with touch slides the TTL', async () => {
        const f = fixture();
        const p = f.make({ ttl: 100 });
        const id = sid();
        await p.new(id);
        const p2 = f.make({ ttl: 1000 });
        await p2.restore(id); // no touch: TTL unchanged
        expect(await f.rawTtl(p.keyFor(id))).toBeLessThanOrEqual(100);
        await p2.restore(id, { touch: true });
        expect(await f.rawTtl(p.keyFor(id))).toBeGreaterThan(900);
      });
    });

    describe('Storer', () => {
      it('setValue writes sets, updates and deletes; the value is marked saved', async () => {
        const p = fixture().make({ ttl: 60 });
        const id = sid();
        await p.new(id, new Value({ a: 1, b: 2, c: 3 }));
        const s = await p.restore(id);
        const v = s.getValue();
        v.set('a', 10).set('d', { deep: [1, 2] });
        v.del('b');
        await s.setValue(v);
        expect(v.isChanged()).toBe(false);
        expect(s.getValue()).toBe(v);
        expect((await p.restore(id)).getValue().toJSON()).toEqual({ a: 10, c: 3, d: { deep: [1, 2] } });
      });

      it('setValue after clean() leaves only what was set afterwards; an empty session still exists', async () => {
        const p = fixture().make({ ttl: 60 });
        const id = sid();
        await p.new(id, new Value({ a: 1, b: 2 }));
        const s = await p.restore(id);
        s.getValue().clean().set('z', 26);
        await s.setValue(s.getValue());
        expect((await p.restore(id)).getValue().toJSON()).toEqual({ z: 26 });
        s.getValue().clean();
        await s.setValue(s.getValue());
        const back = await p.restore(id);
        expect(back.getValue().size).toBe(0);
      });

      it('setValue with another Value object replaces the whole record', async () => {
        const p = fixture().make({ ttl: 60 });
        const id = sid();
        const s = await p.new(id, new Value({ old: 1, keep: 2 }));
        const replacement = new Value({ keep: 3, fresh: 4 }); // counts as "unchanged": must still be written whole
        await s.setValue(replacement);
        expect(s.getValue()).toBe(replacement);
        expect((await p.restore(id)).getValue().toJSON()).toEqual({ keep: 3, fresh: 4 });
      });

      it('setValue on a destroyed session rejects with ERR_SESSION_NOT_FOUND and does not resurrect it', async () => {
        const p = fixture().make({ ttl: 60 });
        const id = sid();
        const s = await p.new(id, new Value({ a: 1 }));
        await p.destroy(id);
        s.getValue().set('b', 2);
        await rejectsWith(s.setValue(s.getValue()), 'ERR_SESSION_NOT_FOUND');
        await rejectsWith(p.restore(id), 'ERR_SESSION_NOT_FOUND');
      });

      it('touch slides the TTL; touch of a destroyed session rejects with ERR_SESSION_NOT_FOUND', async () => {
        const f = fixture();
        const p = f.make({ ttl: 100 });
        const id = sid();
        await p.new(id);
        const s = await f.make({ ttl: 1000 }).restore(id);
        await s.touch();
        expect(await f.rawTtl(p.keyFor(id))).toBeGreaterThan(900);
        await p.destroy(id);
        await rejectsWith(s.touch(), 'ERR_SESSION_NOT_FOUND');
      });

      it('save refreshes the TTL', async () => {
        const f = fixture();
        const id = sid();
        await f.make({ ttl: 100 }).new(id);
        const s = await f.make({ ttl: 1000 }).restore(id);
        s.getValue().set('x', 1);
        await s.setValue(s.getValue());
        expect(await f.rawTtl(f.make().keyFor(id))).toBeGreaterThan(900);
      });
    });

    describe('refresh', () => {
      it('moves the data to the new ID and removes the old one', async () => {
        const f = fixture();
        const p = f.make({ ttl: 60 });
        const id = sid();
        const next = sid();
        await p.new(id, new Value({ cart: [1, 2, 3], user: 'u1' }));
        const s = await p.refresh(id, next);
        expect(s.sessionID()).toBe(next);
        expect(s.getValue().toJSON()).toEqual({ cart: [1, 2, 3], user: 'u1' });
        expect((await p.restore(next)).getValue().toJSON()).toEqual({ cart: [1, 2, 3], user: 'u1' });
        await rejectsWith(p.restore(id), 'ERR_SESSION_NOT_FOUND');
        expect(await f.raw(p.keyFor(id))).toBeUndefined();
        // the storer it returns writes to the new ID
        s.getValue().set('after', true);
        await s.setValue(s.getValue());
        expect((await p.restore(next)).getValue().get('after')).toBe(true);
      });

      it('keeps an empty session existing under the new ID', async () => {
        const p = fixture().make({ ttl: 60 });
        const id = sid();
        const next = sid();
        await p.new(id);
        await p.refresh(id, next);
        expect((await p.restore(next)).getValue().size).toBe(0);
      });

      it('unknown old ID: ERR_SESSION_NOT_FOUND; taken new ID: ERR_DUPLICATE_ID, both records intact', async () => {
        const p = fixture().make({ ttl: 60 });
        await rejectsWith(p.refresh(sid(), sid()), 'ERR_SESSION_NOT_FOUND');
        const a = sid();
        const b = sid();
        await p.new(a, new Value({ who: 'a' }));
        await p.new(b, new Value({ who: 'b' }));
        await rejectsWith(p.refresh(a, b), 'ERR_DUPLICATE_ID');
        expect((await p.restore(a)).getValue().get('who')).toBe('a');
        expect((await p.restore(b)).getValue().get('who')).toBe('b');
      });

      it('the new ID gets the TTL', async () => {
        const f = fixture();
        const p = f.make({ ttl: 500 });
        const id = sid();
        const next = sid();
        await f.make({ ttl: 50 }).new(id);
        await p.refresh(id, next);
        expect(await f.rawTtl(p.keyFor(next))).toBeGreaterThan(400);
      });
    });

    describe('destroy', () => {
      it('removes the session; destroying an unknown ID is not an error', async () => {
        const f = fixture();
        const p = f.make({ ttl: 60 });
        const id = sid();
        await p.new(id, new Value({ a: 1 }));
        await p.destroy(id);
        await rejectsWith(p.restore(id), 'ERR_SESSION_NOT_FOUND');
        expect(await f.raw(p.keyFor(id))).toBeUndefined();
        await expect(p.destroy(id)).resolves.toBeUndefined();
        await expect(p.destroy(sid())).resolves.toBeUndefined();
      });
    });

    describe('store keys', () => {
      it('are prefix + sha256hex(sid); the store never sees the ID', async () => {
        const f = fixture();
        const id = sid();
        const p = f.make({ ttl: 60 });
        const key = p.keyFor(id);
        expect(key).toBe('sess:' + createHash('sha256').update(id).digest('hex'));
        await p.new(id, new Value({ a: 1 }));
        const raw = await f.raw(key);
        expect(raw).toBeDefined();
        expect(JSON.stringify(raw)).not.toContain(id);
        const custom = f.make({ ttl: 60, prefix: 'app1:s:' });
        expect(custom.keyFor(id)).toBe('app1:s:' + createHash('sha256').update(id).digest('hex'));
        // different prefixes are different namespaces
        await rejectsWith(custom.restore(id), 'ERR_SESSION_NOT_FOUND');
        await custom.new(id, new Value({ b: 2 }));
        expect((await p.restore(id)).getValue().toJSON()).toEqual({ a: 1 });
      });
    });

    describe('TTL', () => {
      it('takes the Session default through useDefaults; an explicit ttl option wins; 0 = no expiry', async () => {
        const f = fixture();
        const byDefault = f.make();
        byDefault.useDefaults?.({ ttl: 321 });
        const a = sid();
        await byDefault.new(a);
        const ttlA = await f.rawTtl(byDefault.keyFor(a));
        expect(ttlA).toBeGreaterThan(300);
        expect(ttlA).toBeLessThanOrEqual(321);

        const explicit = f.make({ ttl: 77 });
        explicit.useDefaults?.({ ttl: 321 });
        const b = sid();
        await explicit.new(b);
        expect(await f.rawTtl(explicit.keyFor(b))).toBeLessThanOrEqual(77);

        const forever = f.make({ ttl: 0 });
        const c = sid();
        const s = await forever.new(c, new Value({ x: 1 }));
        expect(await f.rawTtl(forever.keyFor(c))).toBe(-1);
        s.getValue().set('y', 2);
        await s.setValue(s.getValue());
        await s.touch();
        await forever.restore(c, { touch: true });
        expect(await f.rawTtl(forever.keyFor(c))).toBe(-1);
        await forever.destroy(c);
      });

      it('sessions expire on the server; touch and restore-with-touch keep them alive', async () => {
        const f = fixture();
        const ttl = f.expiryTtl;
        const p = f.make({ ttl });
        const [touched, restoredWithTouch, saved, idle] = [sid(), sid(), sid(), sid()];
        const storers = await Promise.all([touched, restoredWithTouch, saved, idle].map((id) => p.new(id, new Value({ id }))));
        await sleep((ttl * 1000) / 2);
        await storers[0]!.touch();
        await p.restore(restoredWithTouch, { touch: true });
        storers[2]!.getValue().set('more', 1);
        await storers[2]!.setValue(storers[2]!.getValue());
        await sleep((ttl * 1000) / 2 + 600);
        // idle is past its TTL; the others had it renewed halfway
        await rejectsWith(p.restore(idle), 'ERR_SESSION_NOT_FOUND');
        expect(await f.raw(p.keyFor(idle))).toBeUndefined();
        for (const id of [touched, restoredWithTouch, saved]) {
          expect((await p.restore(id)).getValue().get('id')).toBe(id);
        }
      }, 20_000);
    });

    describe('corrupt records', () => {
      it('restore rejects with ERR_CORRUPT_RECORD and leaves the record as it is', async () => {
        const f = fixture();
        const p = f.make({ ttl: 60 });
        for (const [name, write] of Object.entries(f.corruptions)) {
          const id = sid();
          const key = p.keyFor(id);
          await write(key);
          const before = await f.raw(key);
          expect(before, name).toBeDefined();
          const err = await rejectsWith(p.restore(id), 'ERR_CORRUPT_RECORD');
          expect(err.message).not.toContain(id);
          await rejectsWith(p.restore(id, { touch: true }), 'ERR_CORRUPT_RECORD');
          await rejectsWith(p.refresh(id, sid()), 'ERR_CORRUPT_RECORD');
          expect(await f.raw(key), name).toEqual(before);
          // a new session cannot take the ID over either
          await rejectsWith(p.new(id), 'ERR_DUPLICATE_ID');
          expect(await f.raw(key), name).toEqual(before);
          // the app can still remove it
          await p.destroy(id);
          expect(await f.raw(key)).toBeUndefined();
        }
      });
    });

    describe('concurrency', () => {
      it('50 parallel writers on one session, each setting its own key', async () => {
        const f = fixture();
        const p = f.make({ ttl: 60 });
        const id = sid();
        await p.new(id, new Value({ base: true }));
        await Promise.all(
          Array.from({ length: 50 }, async (_, i) => {
            const s = await p.restore(id, { touch: true });
            s.getValue().set(`k${i}`, i);
            await s.setValue(s.getValue());
          }),
        );
        const keys = (await p.restore(id)).getValue().keys();
        if (f.perKeyMerge) {
          expect(keys.sort()).toEqual(['base', ...Array.from({ length: 50 }, (_, i) => `k${i}`)].sort());
        } else {
          // last-write-wins: the record is whole and valid, some writers' keys are lost
          expect(keys).toContain('base');
          expect(keys.length).toBeGreaterThanOrEqual(2);
        }
      });
    });
  });
}
