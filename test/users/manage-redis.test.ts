/** Sessions a user can manage on a real Redis: two app servers, each with its own client and provider. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { Session } from '../../src/session/session.js';
import { RedisProvider } from '../../src/providers/redis/provider.js';
import { redisClient, redisPerFile } from '../providers/fixtures.js';
import { fakeRes } from './suite.js';
import { manageSuite, SECRET } from './manage-suite.js';

const redis = redisPerFile();
let second: Redis;
beforeAll(() => {
  second = redisClient(redis.server.port);
});
afterAll(() => second?.disconnect());
let n = 0;

manageSuite('redis', {
  providers: () => {
    const prefix = `m${++n}:`;
    return [new RedisProvider(redis.client, { prefix }), new RedisProvider(second, { prefix })];
  },
});

describe('redis: what the store holds of a remember-me series', () => {
  it('one string key per user record, holding the token hash and never the token or a session ID', async () => {
    const p = new RedisProvider(redis.client, { prefix: 'layout-m:' });
    const s = new Session(p, { cookieSecret: SECRET, backend: 'node' });
    const res = fakeRes();
    const store = await s.login({ headers: {} }, res, 'user-r', { remember: true, label: 'Firefox' });
    const lines = res.getHeader('set-cookie')!;
    const remember = lines.find((l) => l.startsWith('sid_remember='))!.split(';')[0]!.slice('sid_remember='.length);
    const raw = (await redis.client.get(p.records.keyFor('u\u0000user-r')))!;
    expect(p.records.keyFor('u\u0000user-r')).toMatch(/^layout-m:rec:[0-9a-f]{64}$/);
    const doc = JSON.parse(raw) as { s: Record<string, { h: string; l: string }> };
    const [series] = Object.values(doc.s);
    expect(series).toMatchObject({ l: 'Firefox' });
    expect(series!.h).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(raw).not.toContain(store.sessionID());
    expect(raw).not.toContain(remember);
    const ttl = await redis.client.ttl(p.records.keyFor('u\u0000user-r'));
    expect(ttl).toBeGreaterThan(2_500_000);
  });
});

describe('redis: what a remembered, user-bound session costs per request', () => {
  it('a returning request costs what an anonymous one does (one script call), and resume adds nothing while the session lives', async () => {
    const p = new RedisProvider(redis.client, { prefix: 'cost-m:' });
    const s = new Session(p, { cookieSecret: SECRET, backend: 'node' });
    const res = fakeRes();
    await s.login({ headers: {} }, res, 'cost-user', { remember: true });
    const cookie = res
      .getHeader('set-cookie')!
      .map((l) => l.split(';')[0]!)
      .join('; ');
    expect(cookie).toContain('sid_remember=');
    let commands = 0;
    const client = redis.client as unknown as { sendCommand: (...a: unknown[]) => unknown };
    const send = client.sendCommand.bind(client);
    client.sendCommand = (...a: unknown[]) => {
      commands++;
      return send(...a);
    };
    try {
      const req = { headers: { cookie } };
      const out = fakeRes();
      const store = await s.resume(req, out);
      expect(store?.userId()).toBe('cost-user');
      expect(commands).toBe(1);
      expect(out.getHeader('set-cookie') ?? []).toEqual([]);
    } finally {
      client.sendCommand = send;
    }
  });
});
