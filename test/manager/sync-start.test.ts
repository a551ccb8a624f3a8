/**
 * `start` without a promise for in-process providers (`Provider.restoreSync`,
 * `Session.begin`), over real HTTP: the store comes back at once where it
 * can, and every path that must ask a store (tombstones, renewal, a provider
 * that says "not now") still goes the async way with the same outcome.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CorruptRecordError, StoreUnavailableError } from '../../src/errors.js';
import { Session } from '../../src/session/session.js';
import type { SessionStore } from '../../src/manager/store.js';
import { CookieProvider } from '../../src/providers/cookie/provider.js';
import { MemoryProvider } from '../../src/providers/memory/provider.js';
import type { Provider, RestoreOptions, Storer } from '../../src/providers/provider.js';
import { Client, listen, sleep, type TestServer } from '../helpers/http.js';

const SECRET = 'sync-start-suite-secret-0123456789-abcdef';

const servers: TestServer[] = [];
afterEach(async () => {
  while (servers.length) await (servers.pop() as TestServer).close();
});

/**
 * A counter app (and a browser-like client of it) that records, per request,
 * whether `begin` gave the store at once and the store's reason. `/login`
 * binds the session to user `u1` first.
 */
async function counterApp(session: Session): Promise<{ client: Client; seen: { sync: boolean; reason: string | null }[] }> {
  const seen: { sync: boolean; reason: string | null }[] = [];
  const app = await listen(async (req, res) => {
    const started = session.begin(req, res);
    const sync = !(started instanceof Promise);
    let store: SessionStore;
    try {
      store = started instanceof Promise ? await started : started;
    } catch (err) {
      res.statusCode = 503;
      res.end((err as StoreUnavailableError).code);
      return;
    }
    // `start` for the same request hands back the same store.
    expect(await session.start(req, res)).toBe(store);
    if (req.url === '/login') {
      await session.login(req, res, 'u1');
      res.end('in');
      return;
    }
    seen.push({ sync, reason: store.reason });
    const v = store.getValue();
    v.set('n', v.int('n') + 1);
    res.end(String(v.int('n')));
  });
  servers.push(app);
  return { client: new Client(app.url), seen };
}

/** The body of a GET / through the client's jar. */
async function count(client: Client): Promise<string> {
  return (await client.get('/')).body;
}

/** Wraps a MemoryProvider; `restoreSync` does what `mode` says. */
class Scripted implements Provider {
  readonly inner = new MemoryProvider();
  mode: 'pass' | 'decline' | 'corrupt' | 'down' = 'pass';
  asyncRestores = 0;
  new(sid: string, initial?: Parameters<Provider['new']>[1]): Promise<Storer> {
    return this.inner.new(sid, initial);
  }
  restore(sid: string, options?: RestoreOptions): Promise<Storer> {
    this.asyncRestores++;
    return this.inner.restore(sid, options);
  }
  restoreSync(sid: string, options?: RestoreOptions): Storer | null {
    if (this.mode === 'decline') return null;
    if (this.mode === 'corrupt') throw new CorruptRecordError('scripted corrupt record');
    if (this.mode === 'down') throw new StoreUnavailableError('scripted outage');
    return this.inner.restoreSync(sid, options);
  }
  refresh(sid: string, newSid: string): Promise<Storer> {
    return this.inner.refresh(sid, newSid);
  }
  destroy(sid: string): Promise<void> {
    return this.inner.destroy(sid);
  }
}

describe('Session.begin: the store at once for in-process providers', () => {
  it('MemoryProvider: new and returning requests get their store synchronously, and the counter is kept', async () => {
    const session = new Session(new MemoryProvider(), { cookieSecret: SECRET, backend: 'js' });
    const app = await counterApp(session);
    expect(await count(app.client)).toBe('1');
    expect(await count(app.client)).toBe('2');
    expect(await count(app.client)).toBe('3');
    expect(app.seen).toEqual([
      { sync: true, reason: 'absent' },
      { sync: true, reason: null },
      { sync: true, reason: null },
    ]);
    session.dispose();
  });

  it('an unknown ID goes async for the tombstone check: unknown, then revoked after destroyUserSessions', async () => {
    const provider = new MemoryProvider();
    const session = new Session(provider, { cookieSecret: SECRET, backend: 'js' });
    const app = await counterApp(session);
    await count(app.client);
    provider.clear();
    expect(await count(app.client)).toBe('1');
    expect(app.seen[1]).toEqual({ sync: false, reason: 'unknown' });

    // A user-bound session revoked by "log out everywhere" says so.
    await app.client.get('/login');
    expect(await session.destroyUserSessions('u1')).toBe(1);
    expect(await count(app.client)).toBe('1');
    expect(app.seen[2]).toEqual({ sync: false, reason: 'revoked' });
    session.dispose();
  });

  it('renewAfter: the restore is synchronous, the renewal async, and the renewed session keeps its data', async () => {
    const session = new Session(new MemoryProvider(), { cookieSecret: SECRET, backend: 'js', renewAfter: 1 });
    const app = await counterApp(session);
    await count(app.client);
    const sidBefore = await app.client.cookie('sid');
    await sleep(1_100);
    expect(await count(app.client)).toBe('2');
    expect(app.seen[1]).toEqual({ sync: false, reason: null });
    const sidAfter = await app.client.cookie('sid');
    expect(sidAfter).toBeDefined();
    expect(sidAfter).not.toBe(sidBefore);
    expect(await count(app.client)).toBe('3');
    session.dispose();
  });

  it('a provider whose restoreSync declines (null) is asked with restore, with the same result', async () => {
    const provider = new Scripted();
    const session = new Session(provider, { cookieSecret: SECRET, backend: 'js' });
    const app = await counterApp(session);
    await count(app.client);
    provider.mode = 'decline';
    expect(await count(app.client)).toBe('2');
    expect(provider.asyncRestores).toBe(1);
    expect(app.seen[1]).toEqual({ sync: false, reason: null });
    provider.mode = 'pass';
    expect(await count(app.client)).toBe('3');
    expect(provider.asyncRestores).toBe(1);
    session.dispose();
  });

  it('restoreSync throwing: a corrupt record is a new session (error event), a store outage under onStoreError fail is a rejection, not a throw', async () => {
    const provider = new Scripted();
    const errors: string[] = [];
    const session = new Session(provider, { cookieSecret: SECRET, backend: 'js', onStoreError: 'fail' });
    session.on('error', (e) => errors.push(`${e.operation}:${e.error.code}`));
    const app = await counterApp(session);
    await count(app.client);
    const cookie = await app.client.jar.getCookieString(app.client.base);
    // The browser's cookie stays the original one throughout (the corrupt answer's new cookie is not kept).
    const ask = async () => app.client.get('/', { headers: { cookie } });
    provider.mode = 'corrupt';
    expect((await ask()).body).toBe('1');
    expect(app.seen[1]).toEqual({ sync: true, reason: 'corrupt' });
    provider.mode = 'down';
    const down = await ask();
    expect(down.status).toBe(503);
    expect(down.body).toBe('ERR_STORE_UNAVAILABLE');
    expect(errors).toEqual(['restore:ERR_CORRUPT_RECORD', 'restore:ERR_STORE_UNAVAILABLE']);
    // The record was left alone by both.
    provider.mode = 'pass';
    expect((await ask()).body).toBe('2');
    session.dispose();
  });

  it('CookieProvider: synchronous without revocation; with a revocation store it asks that store first', async () => {
    const plain = new Session(new CookieProvider(), { cookieSecret: SECRET, backend: 'js' });
    const a = await counterApp(plain);
    for (const n of ['1', '2', '3']) expect(await count(a.client)).toBe(n);
    expect(a.seen.map((s) => s.sync)).toEqual([true, true, true]);
    plain.dispose();

    const revocation = new MemoryProvider();
    const revoking = new Session(new CookieProvider({ revocation }), { cookieSecret: SECRET, backend: 'js' });
    const b = await counterApp(revoking);
    await count(b.client);
    expect(await count(b.client)).toBe('2');
    expect(b.seen[1]).toEqual({ sync: false, reason: null });
    revoking.dispose();
  });
});
