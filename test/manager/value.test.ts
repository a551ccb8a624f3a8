import { describe, expect, it } from 'vitest';
import { CorruptRecordError, DuplicateKeyError, InvalidValueError } from '../../src/errors.js';
import { Value } from '../../src/manager/value.js';

describe('Value', () => {
  it('has / get / set / del / clean, with change tracking', () => {
    const v = new Value({ a: 1 });
    expect(v.isChanged()).toBe(false);
    expect(v.has('a')).toBe(true);
    expect(v.get<number>('a')).toBe(1);
    expect(v.get('missing')).toBeUndefined();
    v.set('a', 1);
    expect(v.isChanged()).toBe(false); // same content is not a change
    v.set('b', { x: [1, 2] });
    expect(v.isChanged()).toBe(true);
    expect(v.changes().set.get('b')).toBe('{"x":[1,2]}');
    v.markSaved();
    expect(v.del('a')).toBe(true);
    expect(v.del('a')).toBe(false);
    expect(v.changes().deleted.has('a')).toBe(true);
    v.markSaved();
    v.clean();
    expect(v.size).toBe(0);
    expect(v.changes().cleared).toBe(true);
  });

  it('add throws a typed error when the key exists', () => {
    const v = new Value().add('k', 1);
    let err: unknown;
    try {
      v.add('k', 2);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DuplicateKeyError);
    expect((err as DuplicateKeyError).code).toBe('ERR_DUPLICATE_KEY');
    expect(v.get('k')).toBe(1);
  });

  it('stores copies: mutating after set or get changes nothing stored', () => {
    const v = new Value();
    const obj = { n: 1 };
    v.set('o', obj);
    obj.n = 2;
    expect(v.get('o')).toEqual({ n: 1 });
    expect(v.toJSON()).toEqual({ o: { n: 1 } });
  });

  it('set refuses at once what JSON cannot carry', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const bad: Array<[string, unknown]> = [
      ['bigint', 10n],
      ['cycle', cyclic],
      ['function', () => 1],
      ['undefined', undefined],
      ['symbol', Symbol('s')],
      ['NaN', NaN],
      ['Infinity', Infinity],
      ['Date', new Date()],
      ['Map', new Map()],
      ['nested bigint', { a: [1, { b: 2n }] }],
    ];
    const v = new Value();
    for (const [what, value] of bad) {
      expect(() => v.set('k', value), what).toThrow(InvalidValueError);
    }
    expect(v.isChanged()).toBe(false);
    try {
      v.set('k', { a: [1, { b: 2n }] });
    } catch (e) {
      expect((e as InvalidValueError).code).toBe('ERR_INVALID_VALUE');
      expect((e as Error).message).toContain('value["k"].a[1].b');
    }
  });

  it('typed getters: bool (weak forms), int, float, string', () => {
    const v = new Value({ t1: '1', t2: 'T', t3: 'true', t4: 'On', t5: 'y', t6: 'YES', f1: '0', f2: 'no', b: true, n: 2, z: 0, s: ' 42.7 ', x: 'abc', o: { a: 1 } });
    for (const k of ['t1', 't2', 't3', 't4', 't5', 't6', 'b', 'n']) expect(v.bool(k), k).toBe(true);
    for (const k of ['f1', 'f2', 'z', 'missing']) expect(v.bool(k), k).toBe(false);
    expect(v.bool('x', true)).toBe(true);
    expect(v.int('s')).toBe(42);
    expect(v.float('s')).toBe(42.7);
    expect(v.int('x', -1)).toBe(-1);
    expect(v.int('b')).toBe(1);
    expect(v.string('n')).toBe('2');
    expect(v.string('o', 'fallback')).toBe('fallback');
  });

  it('JSON in and out: serialize/deserialize, fields/fromFields, toJSON', () => {
    const v = new Value({ user: { id: 7 }, 'ключ': 'ünïcødé', nil: null });
    const back = Value.deserialize(v.serialize());
    expect(back.toJSON()).toEqual(v.toJSON());
    expect(back.isChanged()).toBe(false);
    expect(Value.fromFields(v.fields()).toJSON()).toEqual(v.toJSON());
    expect(JSON.parse(JSON.stringify(v))).toEqual(v.toJSON());
    expect(() => Value.deserialize('not json')).toThrow(CorruptRecordError);
    expect(() => Value.deserialize('[1]')).toThrow(CorruptRecordError);
  });

  it('a key named __proto__ is data, not a prototype', () => {
    const v = new Value().set('__proto__', { polluted: true }).set('a', 1);
    const back = Value.deserialize(v.serialize());
    expect(back.get('__proto__')).toEqual({ polluted: true });
    expect(Object.keys(back.toJSON())).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(back.toJSON())).toBe(Object.prototype);
    expect(Object.keys(back.fields())).toEqual(['__proto__', 'a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('markAllChanged: the next save rewrites the whole record', () => {
    const v = new Value({ a: 1, b: 2 }).markAllChanged();
    const ch = v.changes();
    expect(ch.cleared).toBe(true);
    expect([...ch.set.keys()].sort()).toEqual(['a', 'b']);
    expect(new Value().markAllChanged().isChanged()).toBe(true);
  });

  it('clone is independent', () => {
    const v = new Value({ a: 1 });
    const c = v.clone();
    c.set('a', 2);
    expect(v.get('a')).toBe(1);
    expect(v.isChanged()).toBe(false);
  });
});
