/**
 * Run-time schema validation on every bundled provider, over real HTTP: a
 * record that fails the Session's Standard Schema (zod here) is `corrupt`: a
 * new session for the client, the record left alone, `error` emitted.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InvalidConfigError } from '../../src/errors.js';
import { Session } from '../../src/session/session.js';
import type { SessionEvents } from '../../src/manager/events.js';
import { MemcacheProvider } from '../../src/providers/memcache/provider.js';
import { MemoryProvider } from '../../src/providers/memory/provider.js';
import type { Provider } from '../../src/providers/provider.js';
import { RedisProvider } from '../../src/providers/redis/provider.js';
import { cookiesNamed, listen, rawRequest, type TestServer } from '../helpers/http.js';
import { memcachedPerFile, redisPerFile } from './fixtures.js';

const SECRET = 'schema-suite-secret-0123456789-abcdefghij';
const redis = redisPerFile();
const memcached = memcachedPerFile();
const servers: TestServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

const schema = z.object({ visits: z.number().int().optional(), user: z.object({ id: z.string() }).optional() });

/** An app over `session`: GET /set?k=v (JSON value) writes, GET / answers the state. */
async function app(session: Session<object>): Promise<TestServer> {
  const s = await listen(async (req, res) => {
    const store = await session.start(req, res);
    const url = new URL(req.url ?? '/', 'http://x');
    const v = store.getValue() as unknown as { set(k: string, v: unknown): void; toJSON(): unknown };
    for (const [k, json] of url.searchParams) v.set(k, JSON.parse(json));
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ isNew: store.isNew(), reason: store.reason, sid: store.sessionID(), data: v.toJSON() }));
  });
  servers.push(s);
  return s;
}

let n = 0;
const providers: Record<string, () => Provider> = {
  memory: (() => {
    const shared = new MemoryProvider();
    return () => shared;
  })(),
  redis: () => new RedisProvider(redis.client, { prefix: `schema${n}:` }),
  memcache: () => new MemcacheProvider(memcached.client, { prefix: `schema${n}:` }),
};

describe.each(Object.keys(providers))('schema validation on %s', (name) => {
  it('a record that fails the schema is corrupt: fresh session, record kept, error event; a valid one restores', async () => {
    n++;
    const make = providers[name] as () => Provider;
    // The same store, written by an app without the schema (an older version, say).
    const loose = new Session(make(), { cookieSecret: SECRET, backend: 'js' });
    const strict = new Session(make(), { cookieSecret: SECRET, backend: 'js', schema });
    const errors: SessionEvents['error'][] = [];
    strict.on('error', (e) => errors.push(e));
    const [looseApp, strictApp] = [await app(loose as Session<object>), await app(strict as unknown as Session<object>)];

    const bad = await rawRequest(looseApp.url, `/?visits=${encodeURIComponent('"many"')}`);
    const badToken = cookiesNamed(bad, 'sid')[0]?.value as string;
    const badSid = (JSON.parse(bad.body) as { sid: string }).sid;
    const restored = await rawRequest(strictApp.url, '/', { headers: { cookie: `sid=${badToken}` } });
    expect(JSON.parse(restored.body)).toMatchObject({ isNew: true, reason: 'corrupt', data: {} });
    expect(errors.map((e) => [e.operation, e.error.code])).toEqual([['restore', 'ERR_CORRUPT_RECORD']]);
    expect(errors[0]?.error.message).toContain('visits');
    // Left alone: the schema-less app still reads it.
    const again = await rawRequest(looseApp.url, '/', { headers: { cookie: `sid=${badToken}` } });
    expect(JSON.parse(again.body)).toMatchObject({ isNew: false, sid: badSid, data: { visits: 'many' } });

    const good = await rawRequest(looseApp.url, `/?visits=3&user=${encodeURIComponent('{"id":"u1"}')}`);
    const goodToken = cookiesNamed(good, 'sid')[0]?.value as string;
    const ok = await rawRequest(strictApp.url, '/', { headers: { cookie: `sid=${goodToken}` } });
    expect(JSON.parse(ok.body)).toMatchObject({ isNew: false, reason: null, data: { visits: 3, user: { id: 'u1' } } });
    expect(errors).toHaveLength(1);
    loose.dispose();
    strict.dispose();
  });
});

it('a schema that is not a Standard Schema is InvalidConfigError', () => {
  expect(() => new Session(new MemoryProvider(), { cookieSecret: SECRET, schema: { parse() {} } as never })).toThrow(InvalidConfigError);
});
