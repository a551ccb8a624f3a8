/**
 * Sessions a user can manage, over real HTTP with cookie jars per device, on
 * any provider with a user index and records: the stolen-laptop story,
 * remember-me theft and the two-tab rotation race, the device limit across
 * two app servers, revoking one device, and step-up freshness.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SessionConfig } from '../../src/manager/config.js';
import type { RememberTheftEvent } from '../../src/manager/events.js';
import { Session } from '../../src/session/session.js';
import type { Provider } from '../../src/providers/provider.js';
import type { SqlRecordStore } from '../../src/providers/sql/record.js';
import type { UserSessionInfo } from '../../src/users/sessions.js';
import { Client, json, listen, type TestResponse, type TestServer } from '../helpers/http.js';
import { dropCookie, manageApp, type ManageBody } from './manage-app.js';
import { fakeRes } from './suite.js';

export const SECRET = 'manage-suite-secret-0123456789-abcdefghij';

export interface ManageSuiteOptions {
  /** Two providers over the same store (two app servers); memory: the same instance twice. */
  providers(): [Provider, Provider];
  /** The provider renews IDs (`renewAfter`). Default true; CookieProvider does not (the ID is asserted unchanged). */
  renews?: boolean;
  /**
   * A rotation race's losing tab joins the winner's session. Default true.
   * CookieProvider cannot: that session's data lives in the winner's response
   * cookies, so the losing request resumes nothing (asserted), with no theft.
   */
  joinsRace?: boolean;
}

type Resumed = ManageBody & { resumed: boolean };

export function manageSuite(label: string, opts: ManageSuiteOptions): void {
  describe(`sessions a user can manage: ${label}`, () => {
    const servers: TestServer[] = [];
    afterEach(async () => {
      vi.useRealTimers();
      while (servers.length) await servers.pop()!.close();
    });

    /** Two app servers over one store, with the same config. */
    async function serve(config: Partial<SessionConfig> = {}): Promise<{ urls: [string, string]; sessions: [Session, Session]; thefts: RememberTheftEvent[] }> {
      const thefts: RememberTheftEvent[] = [];
      const [p1, p2] = opts.providers();
      const make = async (p: Provider): Promise<{ url: string; session: Session }> => {
        const session = new Session(p, { cookieSecret: SECRET, backend: 'node', ...config });
        session.on('error', () => {});
        session.on('remember-theft', (e) => thefts.push(e));
        const server = await listen(manageApp(session));
        servers.push(server);
        return { url: server.url, session };
      };
      const a = await make(p1);
      const b = await make(p2);
      return { urls: [a.url, b.url], sessions: [a.session, b.session], thefts };
    }

    const ok = <T = ManageBody>(r: TestResponse): T => {
      expect(r.status, r.body).toBe(200);
      return json<T>(r);
    };
    const user = (name: string): string => `${name}-${Math.random().toString(36).slice(2)}`;

    it('the stolen laptop: log out everywhere but here ends the remembered laptop too (reason revoked), and this device still resumes', async () => {
      const { urls } = await serve();
      const u = user('alice');
      const phone = new Client(urls[0]);
      const laptop = new Client(urls[1]);
      ok(await phone.get(`/login?user=${u}&remember&label=phone`));
      ok(await laptop.get(`/login?user=${u}&remember&label=laptop`));
      expect(await laptop.cookie('sid_remember')).toBeTruthy();

      // The laptop's session ended (browser closed): its remember-me cookie logs it back in, with a rotated token.
      const tokenBefore = await laptop.cookie('sid_remember');
      await dropCookie(laptop, 'sid');
      const back = ok<Resumed>(await laptop.get('/resume'));
      expect(back).toMatchObject({ resumed: true, userId: u });
      expect(await laptop.cookie('sid_remember')).not.toBe(tokenBefore);

      // The laptop is stolen: from the phone, "log out everywhere but here".
      expect(ok<{ destroyed: number }>(await phone.get('/revoke-all?keep')).destroyed).toBe(1);
      // The thief's session is gone, and so is the way back in.
      expect(ok(await laptop.get('/state'))).toMatchObject({ isNew: true, userId: null, reason: 'revoked' });
      const stolen = new Client(urls[0]);
      await stolen.setCookie('sid_remember', (await laptop.cookie('sid_remember'))!);
      const denied = ok<Resumed>(await stolen.get('/resume'));
      expect(denied).toMatchObject({ resumed: false, userId: null, reason: 'revoked' });
      expect(ok<UserSessionInfo[]>(await phone.get('/list')).map((e) => e.label)).toEqual(['phone']);

      // The phone (kept) still comes back after its own session ends.
      await dropCookie(phone, 'sid');
      expect(ok<Resumed>(await phone.get('/resume'))).toMatchObject({ resumed: true, userId: u });
      // Logout revokes the phone's series too.
      const phoneToken = (await phone.cookie('sid_remember'))!;
      ok(await phone.get('/logout'));
      expect(await phone.cookie('sid_remember')).toBeUndefined();
      const replay = new Client(urls[1]);
      await replay.setCookie('sid_remember', phoneToken);
      expect(ok<Resumed>(await replay.get('/resume'))).toMatchObject({ resumed: false, userId: null, reason: 'revoked' });
    });

    it('theft: a copied token used by the thief first, then the owner presents the old one: the series is revoked, the thief logged out, the app told', async () => {
      const { urls, thefts } = await serve({ rememberGrace: 0 });
      const u = user('bob');
      const owner = new Client(urls[0]);
      ok(await owner.get(`/login?user=${u}&remember`));
      const copied = (await owner.cookie('sid_remember'))!;
      const thief = new Client(urls[1]);
      await thief.setCookie('sid_remember', copied);
      expect(ok<Resumed>(await thief.get('/resume'))).toMatchObject({ resumed: true, userId: u });
      expect(thefts).toHaveLength(0);

      // The owner's session ends; its cookie holds the token the thief's resume rotated away.
      await dropCookie(owner, 'sid');
      expect(ok<Resumed>(await owner.get('/resume'))).toMatchObject({ resumed: false, userId: null, reason: 'revoked' });
      expect(thefts).toHaveLength(1);
      expect(thefts[0]).toMatchObject({ userId: u, cookieName: 'sid_remember' });
      expect(thefts[0]!.seriesHint).toMatch(/^.{4}…$/);
      expect(JSON.stringify(thefts[0]!.seriesHint)).not.toContain(copied);
      // The thief's session is destroyed, its rotated token resumes nothing.
      expect(ok(await thief.get('/state'))).toMatchObject({ isNew: true, userId: null, reason: 'revoked' });
      await dropCookie(thief, 'sid');
      expect(ok<Resumed>(await thief.get('/resume'))).toMatchObject({ resumed: false, reason: 'revoked' });
      expect(ok<UserSessionInfo[]>(await owner.get(`/list?user=${u}`))).toEqual([]);
    });

    it('theft by replaying an old token after its rotation (no grace): no session, series revoked', async () => {
      const { urls, thefts } = await serve({ rememberGrace: 0 });
      const u = user('carol');
      const owner = new Client(urls[0]);
      ok(await owner.get(`/login?user=${u}&remember`));
      const old = (await owner.cookie('sid_remember'))!;
      await dropCookie(owner, 'sid');
      ok<Resumed>(await owner.get('/resume'));
      const replay = new Client(urls[1]);
      await replay.setCookie('sid_remember', old);
      expect(ok<Resumed>(await replay.get('/resume'))).toMatchObject({ resumed: false, userId: null });
      expect(thefts.map((t) => t.userId)).toEqual([u]);
      // The owner's resumed session was the series' session: it ends too (the app alerts the user to log in again).
      expect(ok(await owner.get('/state'))).toMatchObject({ userId: null, reason: 'revoked' });
    });

    it(`rotation race: two tabs resume with the same token at once; ${opts.joinsRace === false ? 'one resumes, the other gets nothing' : 'both get the same session'}, no theft, the next resume works`, async () => {
      const { urls, thefts } = await serve();
      const u = user('dave');
      const c = new Client(urls[0]);
      ok(await c.get(`/login?user=${u}&remember`));
      await dropCookie(c, 'sid');
      const token = (await c.cookie('sid_remember'))!;
      // Two "tabs" of one browser: the same cookies, on two app servers at once.
      const tab2 = new Client(urls[1]);
      await tab2.setCookie('sid_remember', token);
      const [r1, r2] = await Promise.all([c.get('/resume'), tab2.get('/resume')]);
      const b1 = ok<Resumed>(r1);
      const b2 = ok<Resumed>(r2);
      if (opts.joinsRace === false) {
        // One tab resumed; the other got no session (and no theft alarm): its next request carries the winner's cookies.
        const bodies = [b1, b2];
        expect(bodies.filter((b) => b.resumed && b.userId === u)).toHaveLength(1);
        expect(bodies.filter((b) => !b.resumed && b.userId === null)).toHaveLength(1);
        // The loser's response sets no session cookie: in one browser's jar it must not replace the winner's.
        const loser = b1.resumed ? r2 : r1;
        expect(loser.setCookies.filter((l) => /^sid(\.data(\.\d+)?)?=/.test(l))).toEqual([]);
      } else {
        expect(b1).toMatchObject({ resumed: true, userId: u });
        expect(b2).toMatchObject({ resumed: true, userId: u });
        expect(b2.sid).toBe(b1.sid);
      }
      expect(thefts).toHaveLength(0);
      // Exactly one response rotated the token.
      const rotated = [r1, r2].filter((r) => r.setCookies.some((l) => l.startsWith('sid_remember=') && !l.startsWith('sid_remember=;')));
      expect(rotated).toHaveLength(1);
      // The browser keeps the rotated token (and, on CookieProvider, the only cookies that hold the session).
      const jar = rotated[0] === r1 ? c : tab2;
      expect(ok<UserSessionInfo[]>(await jar.get('/list'))).toHaveLength(1);
      // The next resume is a plain rotation, not theft.
      await dropCookie(jar, 'sid');
      expect(ok<Resumed>(await jar.get('/resume'))).toMatchObject({ resumed: true, userId: u });
      expect(thefts).toHaveLength(0);
    });

    it('device limit, evict: the third login ends the least recently seen session (reason evicted), across two app servers', async () => {
      const { urls } = await serve({ maxSessions: { limit: 2, policy: 'evict' } });
      const u = user('erin');
      const [d1, d2, d3] = [new Client(urls[0]), new Client(urls[1]), new Client(urls[0])];
      ok(await d1.get(`/login?user=${u}&label=one&remember`));
      ok(await d2.get(`/login?user=${u}&label=two`));
      ok(await d2.get('/set?seen=1'));
      ok(await d3.get(`/login?user=${u}&label=three`));
      expect(ok(await d1.get('/state'))).toMatchObject({ isNew: true, userId: null, reason: 'evicted' });
      // Its remember-me series went with it.
      await dropCookie(d1, 'sid');
      expect(ok<Resumed>(await d1.get('/resume'))).toMatchObject({ resumed: false, reason: 'evicted' });
      expect(ok(await d2.get('/state'))).toMatchObject({ isNew: false, userId: u });
      expect(ok<UserSessionInfo[]>(await d3.get('/list')).map((e) => e.label).sort()).toEqual(['three', 'two']);
    });

    it('device limit, refuse: the third login gets ERR_SESSION_LIMIT (also when three race on two servers); a logout frees a place', async () => {
      const { urls } = await serve({ maxSessions: { limit: 2, policy: 'refuse' } });
      const u = user('frank');
      const [d1, d2, d3] = [new Client(urls[0]), new Client(urls[1]), new Client(urls[1])];
      ok(await d1.get(`/login?user=${u}`));
      ok(await d2.get(`/login?user=${u}`));
      ok(await d3.get('/set?cart=1'));
      const refused = await d3.get(`/login?user=${u}`);
      expect(refused.status).toBe(409);
      expect(json<{ error: string }>(refused).error).toBe('ERR_SESSION_LIMIT');
      // Refused before anything changed: the anonymous session and its data stay.
      expect(ok(await d3.get('/state'))).toMatchObject({ isNew: false, userId: null, data: { cart: '1' } });
      ok(await d1.get('/logout'));
      expect(ok(await d3.get(`/login?user=${u}`))).toMatchObject({ userId: u, data: { cart: '1' } });

      // Three logins of a new user at once on two servers: at most two get in.
      const v = user('grace');
      const racers = [new Client(urls[0]), new Client(urls[1]), new Client(urls[0])];
      const results = await Promise.all(racers.map((c) => c.get(`/login?user=${v}`)));
      const statuses = results.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(1);
      expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(2);
      for (const r of results) if (r.status !== 200) expect(json<{ error: string }>(r).error).toBe('ERR_SESSION_LIMIT');
      expect(ok<UserSessionInfo[]>(await racers[0]!.get(`/list?user=${v}`)).length).toBe(statuses.filter((s) => s === 200).length);
    });

    it('revoke one of three by its handle (with ip and user agent listed); forged and foreign handles are refused', async () => {
      const { urls } = await serve();
      const u = user('heidi');
      const w = user('ivan');
      const a = new Client(urls[0]);
      const b = new Client(urls[1]);
      const c = new Client(urls[0]);
      ok(await a.get(`/login?user=${u}&label=a&ip=192.0.2.1`, { headers: { 'user-agent': 'Browser A' } }));
      ok(await b.get(`/login?user=${u}&label=b&ip=192.0.2.2&remember`, { headers: { 'user-agent': 'Browser B' + 'x'.repeat(400) } }));
      ok(await c.get(`/login?user=${u}&label=c`, { headers: { 'user-agent': 'Browser C' } }));
      const list = ok<UserSessionInfo[]>(await a.get('/list'));
      expect(list).toHaveLength(3);
      const eb = list.find((e) => e.label === 'b')!;
      expect(eb).toMatchObject({ ip: '192.0.2.2', remembered: true, current: false });
      expect(eb.userAgent!.startsWith('Browser B')).toBe(true);
      expect(eb.userAgent!.length).toBe(256);
      expect(list.find((e) => e.label === 'a')).toMatchObject({ ip: '192.0.2.1', userAgent: 'Browser A', current: true, remembered: false });
      const bSid = ok(await b.get('/state')).sid;
      for (const e of list) expect(e.handle).not.toContain(bSid);

      // A handle is not a session cookie.
      const fake = new Client(urls[0]);
      await fake.setCookie('sid', eb.handle);
      expect(ok(await fake.get('/state'))).toMatchObject({ isNew: true, reason: 'invalid' });
      // Forged, and another user's: typed errors, nothing revoked.
      const forged = eb.handle.slice(0, -2) + (eb.handle.endsWith('A') ? 'BB' : 'AA');
      expect(json<{ error: string }>(await a.get(`/revoke-one?handle=${encodeURIComponent(forged)}`))).toEqual({ error: 'ERR_INVALID_HANDLE' });
      expect(json<{ error: string }>(await a.get(`/revoke-one?user=${w}&handle=${encodeURIComponent(eb.handle)}`))).toEqual({ error: 'ERR_INVALID_HANDLE' });
      expect(ok<UserSessionInfo[]>(await a.get('/list'))).toHaveLength(3);

      expect(ok<{ revoked: boolean }>(await c.get(`/revoke-one?handle=${encodeURIComponent(eb.handle)}`)).revoked).toBe(true);
      expect(ok(await b.get('/state'))).toMatchObject({ isNew: true, userId: null, reason: 'revoked' });
      await dropCookie(b, 'sid');
      expect(ok<Resumed>(await b.get('/resume'))).toMatchObject({ resumed: false, reason: 'revoked' });
      expect(ok(await a.get('/state'))).toMatchObject({ isNew: false, userId: u });
      expect(ok(await c.get('/state'))).toMatchObject({ isNew: false, userId: u });
      expect(ok<UserSessionInfo[]>(await a.get('/list')).map((e) => e.label).sort()).toEqual(['a', 'c']);
      expect(ok<{ revoked: boolean }>(await c.get(`/revoke-one?handle=${encodeURIComponent(eb.handle)}`)).revoked).toBe(false);
    });

    it('step-up freshness: fresh after login, stale later (clock moved), fresh again after reauthenticated with a new ID; a resume is not fresh', async () => {
      const { urls } = await serve();
      const u = user('judy');
      const c = new Client(urls[0]);
      const t0 = Date.now();
      vi.useFakeTimers({ toFake: ['Date'], now: t0 });
      const login = ok(await c.get(`/login?user=${u}&remember`));
      expect(login.authenticatedAt).toBe(t0);
      expect((await c.get('/sudo?maxAge=300')).status).toBe(200);
      vi.setSystemTime(t0 + 301_000);
      expect(json<{ error: string }>(await c.get('/sudo?maxAge=300'))).toEqual({ error: 'ERR_REAUTH_REQUIRED' });
      const re = ok(await c.get('/reauth'));
      expect(re.sid).not.toBe(login.sid);
      expect(re.authenticatedAt).toBe(t0 + 301_000);
      expect((await c.get('/sudo?maxAge=300')).status).toBe(200);
      expect(ok(await c.get('/state'))).toMatchObject({ isNew: false, userId: u });
      // The old ID is dead (fixation), the listing follows the new one.
      const old = new Client(urls[0]);
      await old.setCookie('sid', 'x');
      expect(ok<UserSessionInfo[]>(await c.get('/list'))).toHaveLength(1);
      // A device that comes back by its remember-me token has not authenticated anew.
      vi.setSystemTime(t0 + 700_000);
      await dropCookie(c, 'sid');
      const back = ok<Resumed>(await c.get('/resume'));
      expect(back).toMatchObject({ resumed: true, userId: u, authenticatedAt: t0 });
      expect((await c.get('/sudo?maxAge=300')).status).toBe(403);
    });

    it('the device details and the series follow the session through refresh and ID renewal: revoking it by handle still ends its remember-me token', async () => {
      const { urls } = await serve({ renewAfter: 60 });
      const u = user('kim');
      const c = new Client(urls[0]);
      const other = new Client(urls[1]);
      const t0 = Date.now();
      vi.useFakeTimers({ toFake: ['Date'], now: t0 });
      const first = ok(await c.get(`/login?user=${u}&remember&ip=198.51.100.7`));
      const refreshed = ok(await c.get('/refresh'));
      expect(refreshed.sid).not.toBe(first.sid);
      vi.setSystemTime(t0 + 61_000);
      const renewed = ok(await c.get('/state'));
      expect(renewed.userId).toBe(u);
      if (opts.renews === false) expect(renewed.sid).toBe(refreshed.sid);
      else expect(renewed.sid).not.toBe(refreshed.sid);
      ok(await other.get(`/login?user=${u}`));
      const list = ok<UserSessionInfo[]>(await other.get('/list'));
      const entry = list.find((e) => e.ip === '198.51.100.7');
      expect(entry).toMatchObject({ remembered: true });
      expect(ok<{ revoked: boolean }>(await other.get(`/revoke-one?handle=${encodeURIComponent(entry!.handle)}`)).revoked).toBe(true);
      expect(ok(await c.get('/state'))).toMatchObject({ userId: null, reason: 'revoked' });
      await dropCookie(c, 'sid');
      expect(ok<Resumed>(await c.get('/resume'))).toMatchObject({ resumed: false, reason: 'revoked' });
    });

    it("a device's token is replaced by a new login, ended by a login without remember-me, and by logout even after its session ended", async () => {
      const { urls } = await serve();
      const u = user('leo');
      const c = new Client(urls[0]);
      ok(await c.get(`/login?user=${u}&remember`));
      const first = (await c.cookie('sid_remember'))!;
      ok(await c.get(`/login?user=${u}&remember`));
      const second = (await c.cookie('sid_remember'))!;
      expect(second).not.toBe(first);
      const copy = new Client(urls[1]);
      await copy.setCookie('sid_remember', first);
      expect(ok<Resumed>(await copy.get('/resume'))).toMatchObject({ resumed: false, reason: 'revoked' });
      // A login without remember-me ends the device's token.
      ok(await c.get(`/login?user=${u}`));
      expect(await c.cookie('sid_remember')).toBeUndefined();
      await copy.setCookie('sid_remember', second);
      expect(ok<Resumed>(await copy.get('/resume'))).toMatchObject({ resumed: false, reason: 'revoked' });
      // Logout with only the token left (the session ended) revokes it too.
      ok(await c.get(`/login?user=${u}&remember`));
      const third = (await c.cookie('sid_remember'))!;
      await dropCookie(c, 'sid');
      ok(await c.get('/logout'));
      expect(await c.cookie('sid_remember')).toBeUndefined();
      await copy.setCookie('sid_remember', third);
      expect(ok<Resumed>(await copy.get('/resume'))).toMatchObject({ resumed: false, reason: 'revoked' });
    });
  });
}

export interface RecordsLayoutOptions {
  /** A provider over the SQL store, under `prefix`. */
  provider(prefix: string): Provider & { records: SqlRecordStore };
  /** The records table's row `id`: its body and the ms left before it expires. */
  row(id: string): Promise<{ body: string; remainingMs: number }>;
  /** How many records-table rows have `text` in their id. */
  idsContaining(text: string): Promise<number>;
}

/** What a SQL records table holds of a remember-me series: the same layout on every SQL provider. */
export function recordsLayoutSuite(label: string, opts: RecordsLayoutOptions): void {
  describe(`${label}: what the records table holds of a remember-me series`, () => {
    it('one row per user record under a hash of its name, holding the token hash and never the token or a session ID', async () => {
      const p = opts.provider('layout-m:');
      const s = new Session(p, { cookieSecret: SECRET, backend: 'node' });
      const res = fakeRes();
      const store = await s.login({ headers: {} }, res, 'user-r', { remember: true, label: 'Firefox' });
      const remember = res
        .getHeader('set-cookie')!
        .find((l) => l.startsWith('sid_remember='))!
        .split(';')[0]!
        .slice('sid_remember='.length);
      const id = p.records.keyFor('u\u0000user-r');
      expect(id).toMatch(/^layout-m:[0-9a-f]{64}$/);
      const row = await opts.row(id);
      const doc = JSON.parse(row.body) as { s: Record<string, { h: string; l: string }> };
      const [series] = Object.values(doc.s);
      expect(series).toMatchObject({ l: 'Firefox' });
      expect(series!.h).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(row.body).not.toContain(store.sessionID());
      expect(row.body).not.toContain(remember);
      expect(row.remainingMs).toBeGreaterThan(2_500_000_000);
      // The user ID is only in the body (the row id is a hash).
      expect(await opts.idsContaining('user-r')).toBe(0);
    });
  });
}
