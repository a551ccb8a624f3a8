import { describe, expect, it } from 'vitest';
import { Value } from '../../src/manager/value.js';
import { MARKER_FIELD, RedisProvider } from '../../src/providers/redis.js';
import { providerSuite } from './provider-suite.js';
import { redisFixture, redisPerFile, sid } from './fixtures.js';

const redis = redisPerFile();

providerSuite('redis (single server)', () => redisFixture(redis.client));

describe('redis specifics', () => {
  it('keeps one hash per session: a JSON field per key plus the marker', async () => {
    const p = new RedisProvider(redis.client, { ttl: 60 });
    const id = sid();
    await p.new(id, new Value({ user: { id: 1 }, n: 2 }));
    expect(await redis.client.type(p.keyFor(id))).toBe('hash');
    expect(await redis.client.hgetall(p.keyFor(id))).toEqual({ [MARKER_FIELD]: '1', user: '{"id":1}', n: '2' });
    const back = (await p.restore(id)).getValue();
    expect(back.has(MARKER_FIELD)).toBe(false);
  });

  it(`rejects the reserved key "${MARKER_FIELD}" with ERR_INVALID_KEY`, async () => {
    const p = new RedisProvider(redis.client, { ttl: 60 });
    await expect(p.new(sid(), new Value({ [MARKER_FIELD]: 1 }))).rejects.toMatchObject({ code: 'ERR_INVALID_KEY' });
    const s = await p.new(sid());
    s.getValue().set(MARKER_FIELD, 'x');
    await expect(s.setValue(s.getValue())).rejects.toMatchObject({ code: 'ERR_INVALID_KEY' });
  });

  it('two writers on one session keep each other\'s changes (per-field writes)', async () => {
    const p = new RedisProvider(redis.client, { ttl: 60 });
    const id = sid();
    await p.new(id, new Value({ a: 1, b: 2, c: 3 }));
    const s1 = await p.restore(id);
    const s2 = await p.restore(id);
    s1.getValue().set('a', 10).set('x', 'from 1');
    s2.getValue().del('b');
    s2.getValue().set('y', 'from 2');
    await s1.setValue(s1.getValue());
    await s2.setValue(s2.getValue());
    expect((await p.restore(id)).getValue().toJSON()).toEqual({ a: 10, c: 3, x: 'from 1', y: 'from 2' });
  });

  it('restore with touch, save and new are one round trip each', async () => {
    const p = new RedisProvider(redis.client, { ttl: 60 });
    const id = sid();
    await p.new(id, new Value({ warm: 1 })); // loads the scripts
    const s = await p.restore(id, { touch: true });
    const sent: string[] = [];
    const original = redis.client.sendCommand.bind(redis.client);
    redis.client.sendCommand = ((command: { name: string }, ...rest: unknown[]) => {
      sent.push(command.name);
      return (original as (...a: unknown[]) => unknown)(command, ...rest);
    }) as typeof redis.client.sendCommand;
    try {
      await p.restore(id, { touch: true });
      expect(sent).toEqual(['evalsha']);
      sent.length = 0;
      s.getValue().set('a', 1).set('b', 2);
      s.getValue().del('warm');
      await s.setValue(s.getValue());
      expect(sent).toEqual(['evalsha']);
      sent.length = 0;
      await p.new(sid(), new Value({ a: 1 }));
      expect(sent).toEqual(['evalsha']);
    } finally {
      redis.client.sendCommand = original;
    }
  });

  it('several providers (different prefixes) share one client', async () => {
    const a = new RedisProvider(redis.client, { prefix: 'a:', ttl: 60 });
    const b = new RedisProvider(redis.client, { prefix: 'b:', ttl: 60 });
    const id = sid();
    await a.new(id, new Value({ from: 'a' }));
    await b.new(id, new Value({ from: 'b' }));
    expect((await a.restore(id)).getValue().get('from')).toBe('a');
    expect((await b.restore(id)).getValue().get('from')).toBe('b');
  });

  it('rejects bad options with ERR_INVALID_CONFIG', () => {
    expect(() => new RedisProvider(redis.client, { ttl: -1 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }));
    expect(() => new RedisProvider(redis.client, { ttl: 1.5 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }));
    expect(() => new RedisProvider(redis.client, { timeout: -5 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }));
  });
});
