import { describe, expect, it } from 'vitest';
import { CorruptRecordError, DuplicateIdError, InvalidConfigError, SessionNotFoundError } from '../../src/errors.js';
import { Session } from '../../src/session/session.js';
import { Value } from '../../src/manager/value.js';
import { MemoryProvider } from '../../src/providers/memory/provider.js';
import type { MetaStorer } from '../../src/providers/provider.js';
import { Client, json, listen, sleep } from '../helpers/http.js';
import { testApp, type StateBody } from './app.js';

describe('MemoryProvider', () => {
  it('new is create-if-absent and stores the initial value', async () => {
    const p = new MemoryProvider();
    const s = await p.new('a', new Value({ x: 1 }));
    expect(s.getValue().isChanged()).toBe(false);
    await expect(p.new('a')).rejects.toBeInstanceOf(DuplicateIdError);
    expect((await p.restore('a')).getValue().toJSON()).toEqual({ x: 1 });
  });

  it('hands out copies: one restore cannot change another by reference', async () => {
    const p = new MemoryProvider();
    await p.new('a', new Value({ list: [1] }));
    const one = await p.restore('a');
    const two = await p.restore('a');
    one.getValue().set('list', [1, 2]);
    expect(two.getValue().get('list')).toEqual([1]);
    await one.setValue(one.getValue());
    expect(two.getValue().get('list')).toEqual([1]);
    expect((await p.restore('a')).getValue().get('list')).toEqual([1, 2]);
  });

  it('a save that grows a record counts its new size: the byte bound evicts as for a new record', async () => {
    // About 10 KB each by the provider's estimate (2 bytes a character): two do not fit in 20 KB.
    const p = new MemoryProvider({ maxSize: 20_000, maxEntrySize: 15_000 });
    await p.new('a', new Value({ s: 'x' }));
    await p.new('b', new Value({ s: 'x' }));
    const a = await p.restore('a');
    a.getValue().set('s', 'y'.repeat(5000));
    await a.setValue(a.getValue());
    expect((await p.restore('a')).getValue().get('s')).toBe('y'.repeat(5000));
    const b = await p.restore('b');
    b.getValue().set('s', 'z'.repeat(5000));
    await b.setValue(b.getValue());
    await expect(p.restore('a')).rejects.toBeInstanceOf(SessionNotFoundError);
    expect((await p.restore('b')).getValue().get('s')).toBe('z'.repeat(5000));
  });

  it('restores of a user-bound record share its decoded, frozen metadata, decoded again when it changes', async () => {
    const p = new MemoryProvider();
    const metaOf = async (sid: string) => ((await p.restore(sid)) as MetaStorer).meta();
    await p.new('a', new Value({ n: 1 }));
    await p.renew('a', 'b', { alias: 'to-b', grace: 5, meta: { userId: 'u1', loginAt: 1 }, value: new Value({ n: 1 }), indexTtl: 60 });
    const one = await metaOf('b');
    expect(one).toEqual({ userId: 'u1', loginAt: 1 });
    expect(Object.isFrozen(one)).toBe(true);
    expect(await metaOf('b')).toBe(one);
    // A data save changes the stored record in place: the binding stays, and so does the decoded copy.
    const s = await p.restore('b');
    await s.setValue(s.getValue().set('n', 2));
    expect(await metaOf('b')).toBe(one);
    expect((await p.restore('b')).getValue().toJSON()).toEqual({ n: 2 });
    await p.renew('b', 'c', { alias: 'to-c', grace: 5, meta: { userId: 'u1', loginAt: 1, authAt: 7 }, value: new Value({ n: 2 }), indexTtl: 60 });
    expect(await metaOf('c')).toEqual({ userId: 'u1', loginAt: 1, authAt: 7 });
    // The reserved fields never show as data.
    expect((await p.restore('c')).getValue().toJSON()).toEqual({ n: 2 });
  });

  it('saves merge key by key: two requests changing different keys both keep their change', async () => {
    const p = new MemoryProvider();
    await p.new('a', new Value({ keep: 1, gone: 2 }));
    const one = await p.restore('a');
    const two = await p.restore('a');
    one.getValue().set('x', 'from one');
    two.getValue().set('y', 'from two').del('gone');
    await one.setValue(one.getValue());
    await two.setValue(two.getValue());
    expect((await p.restore('a')).getValue().toJSON()).toEqual({ keep: 1, x: 'from one', y: 'from two' });
    const three = await p.restore('a');
    await three.setValue(three.getValue().clean().set('only', true));
    expect((await p.restore('a')).getValue().toJSON()).toEqual({ only: true });
  });

  it('restore of an unknown ID rejects with SessionNotFoundError', async () => {
    await expect(new MemoryProvider().restore('nope')).rejects.toBeInstanceOf(SessionNotFoundError);
  });

  it('expired entries are never returned; touch, restore({touch}) and a save slide the TTL', async () => {
    const p = new MemoryProvider({ ttl: 1 });
    p.useDefaults({ ttl: 100 }); // its own ttl wins
    await p.new('idle');
    const kept = await p.new('kept');
    await p.new('restored');
    await p.new('saved', new Value({ n: 1 }));
    for (let i = 0; i < 3; i++) {
      await sleep(450);
      await kept.touch();
      await p.restore('restored', { touch: true });
      // Restored without touch, then saved with a change of the same size (the in-place save).
      const s = await p.restore('saved');
      const v = s.getValue();
      v.set('n', i + 2);
      await s.setValue(v);
    }
    await expect(p.restore('idle')).rejects.toBeInstanceOf(SessionNotFoundError);
    await expect(p.restore('kept')).resolves.toBeDefined();
    await expect(p.restore('restored')).resolves.toBeDefined();
    expect((await p.restore('saved')).getValue().toJSON()).toEqual({ n: 4 });
    expect(p.size).toBe(3);
  });

  it('takes the TTL from useDefaults when it has none of its own', async () => {
    const p = new MemoryProvider();
    p.useDefaults({ ttl: 1 });
    await p.new('a');
    await sleep(1100);
    await expect(p.restore('a')).rejects.toBeInstanceOf(SessionNotFoundError);
  });

  it('refresh moves the data; destroy removes; a save after destroy does not resurrect', async () => {
    const p = new MemoryProvider();
    const s = await p.new('a', new Value({ k: 'v' }));
    const moved = await p.refresh('a', 'b');
    expect(moved.sessionID()).toBe('b');
    expect(moved.getValue().toJSON()).toEqual({ k: 'v' });
    await expect(p.restore('a')).rejects.toBeInstanceOf(SessionNotFoundError);
    await expect(p.refresh('a', 'c')).rejects.toBeInstanceOf(SessionNotFoundError);
    await p.new('c');
    await expect(p.refresh('b', 'c')).rejects.toBeInstanceOf(DuplicateIdError);
    await p.destroy('b');
    await p.destroy('b'); // unknown: not an error
    await expect(p.restore('b')).rejects.toBeInstanceOf(SessionNotFoundError);
    await expect(moved.setValue(new Value({ k: 'late' }))).rejects.toBeInstanceOf(SessionNotFoundError);
    await expect(s.setValue(new Value())).rejects.toBeInstanceOf(SessionNotFoundError);
  });

  it('is bounded: the least recently used go first', async () => {
    const p = new MemoryProvider({ max: 2 });
    await p.new('a');
    await p.new('b');
    await p.restore('a');
    await p.new('c');
    await expect(p.restore('b')).rejects.toBeInstanceOf(SessionNotFoundError);
    expect(p.size).toBe(2);
  });

  it('a corrupt record rejects with CorruptRecordError and stays as it is', async () => {
    const p = new MemoryProvider();
    p.poke('x', '{broken');
    await expect(p.restore('x')).rejects.toBeInstanceOf(CorruptRecordError);
    expect(p.peek('x')).toBe('{broken');
  });

  it('validates its options', () => {
    expect(() => new MemoryProvider({ max: 0 })).toThrow(InvalidConfigError);
    expect(() => new MemoryProvider({ ttl: -1 })).toThrow(InvalidConfigError);
  });

  it('through the manager: a corrupt record gives a new session and is left for inspection', async () => {
    const provider = new MemoryProvider();
    const session = new Session(provider, { cookieSecret: 'memory-provider-test-secret-0123456789', backend: 'js' });
    const errors: string[] = [];
    session.on('error', (e) => errors.push((e.error as { code?: string }).code ?? ''));
    const server = await listen(testApp(session));
    try {
      const c = new Client(server.url);
      const first = json<StateBody>(await c.get('/set?k=v'));
      provider.poke(first.sid, 'not json');
      const second = json<StateBody>(await c.get('/set?k=again'));
      expect(second).toMatchObject({ isNew: true, reason: 'corrupt', data: { k: 'again' } });
      expect(second.sid).not.toBe(first.sid);
      expect(provider.peek(first.sid)).toBe('not json');
      expect(errors).toEqual(['ERR_CORRUPT_RECORD']);
      expect(json<StateBody>(await c.get('/state'))).toMatchObject({ isNew: false, sid: second.sid });
    } finally {
      await server.close();
    }
  });
});
