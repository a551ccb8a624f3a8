/**
 * The compat entry on real express-session stores: sessions round-trip,
 * records have express-session's shape, regenerate/destroy/touch reach the
 * store. Servers (redis-server, PostgreSQL) are started by the fixtures.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import session from '../../src/express-session/index.js';
import { Client, cookieNamed, json, type TestServer } from '../helpers/http.js';
import { sessionApp, type Middleware, type Snapshot } from './app.js';
import { allStores, readRecord } from './stores.js';

const SECRET = 'a test secret that is at least 32 characters';

for (const fixture of allStores()) {
  describe(`compat entry on ${fixture.name}`, () => {
    let server: TestServer;
    let store: ReturnType<typeof fixture.make>;
    beforeAll(async () => {
      await fixture.setup();
      store = fixture.make();
      server = await sessionApp(session({ secret: SECRET, store, resave: false, saveUninitialized: false, cookie: { maxAge: 600_000 } }) as unknown as Middleware);
    });
    afterAll(async () => {
      await server?.close();
      await fixture.teardown();
    });
    const clients: Client[] = [];
    afterEach(() => {
      clients.length = 0;
    });
    const client = (): Client => {
      const c = new Client(server.url);
      clients.push(c);
      return c;
    };

    it("a session round-trips; the record has express-session's shape under the raw ID", async () => {
      const c = client();
      const r = await c.get('/set?user=ada');
      expect(r.status).toBe(200);
      expect(cookieNamed(r, 'connect.sid')?.value?.startsWith('s:')).toBe(false);
      const id = json<Snapshot>(r).sessionID as string;
      const rec = (await readRecord(store, id)) as { user: string; cookie: { originalMaxAge: number; expires: string } };
      expect(rec.user).toBe('ada');
      // As in express-session, originalMaxAge is read back from expires: a millisecond may pass in between.
      expect(rec.cookie.originalMaxAge).toBeGreaterThan(599_000);
      expect(rec.cookie.originalMaxAge).toBeLessThanOrEqual(600_000);
      expect(new Date(rec.cookie.expires).getTime()).toBeGreaterThan(Date.now() + 500_000);
      for (let i = 1; i <= 3; i++) expect((await c.get('/incr')).body).toBe(String(i));
      expect(json<Snapshot>(await c.get('/get')).data).toMatchObject({ user: 'ada', n: 3 });
    });

    it('an unchanged returning session is touched, not rewritten, and stays readable', async () => {
      const c = client();
      await c.get('/set?v=1');
      for (let i = 0; i < 3; i++) {
        const r = await c.get('/get');
        expect(r.status).toBe(200);
        expect(json<Snapshot>(r).data.v).toBe('1');
      }
    });

    it('regenerate and destroy reach the store', async () => {
      const c = client();
      const first = json<Snapshot>(await c.get('/set?user=ada')).sessionID as string;
      const regen = json<Snapshot>(await c.get('/regenerate'));
      expect(regen.sessionID).not.toBe(first);
      expect(await readRecord(store, first)).toBeFalsy();
      expect(await readRecord(store, regen.sessionID as string)).toMatchObject({ fresh: 'yes' });
      await c.get('/destroy');
      expect(await readRecord(store, regen.sessionID as string)).toBeFalsy();
      expect(json<Snapshot>(await c.get('/get')).data.fresh).toBeUndefined();
    });

    it('20 clients x 5 requests keep their own counters', async () => {
      const cs = Array.from({ length: 20 }, () => client());
      const results = await Promise.all(
        cs.map(async (c) => {
          let last = '';
          for (let i = 0; i < 5; i++) last = (await c.get('/incr')).body;
          return last;
        }),
      );
      expect(results).toEqual(Array.from({ length: 20 }, () => '5'));
    });
  });
}
