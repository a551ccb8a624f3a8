/**
 * DBSC over real HTTP with the spec-written agent (client.ts), reused per
 * provider (memory, Redis, memcached, PostgreSQL, SQLite, cookie): register, bound requests, a
 * stolen long-lived cookie, refresh with 403-challenge-sign-retry, wrong key,
 * replayed proof, expired bound cookie, termination.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseSetCookie } from 'cookie';
import { afterEach, describe, expect, it } from 'vitest';
import { createCodec } from '../../src/crypto/index.js';
import { Dbsc, type DbscConfig } from '../../src/dbsc/index.js';
import type { SessionConfig } from '../../src/manager/config.js';
import type { UnboundEvent } from '../../src/manager/events.js';
import { Session } from '../../src/session/session.js';
import type { Provider } from '../../src/providers/provider.js';
import { Client, cookieNamed, json, listen, rawRequest, type TestResponse, type TestServer } from '../helpers/http.js';
import { DbscAgent, DbscKey, parseChallenges, parseRegistration } from './client.js';

export const SECRET = 'dbsc-suite-secret-0123456789-abcdefghijkl';
const BOUND = 'dbsc_bound';

export interface Served {
  url: string;
  session: Session;
  dbsc: Dbsc;
  unbound: UnboundEvent[];
}

/** The app the tests drive: the example's routes, on any provider (no user index: the user lives in the value). */
export function dbscApp(session: Session, dbsc: Dbsc) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (await dbsc.handle(req, res)) return;
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, body: string): void => {
      res.statusCode = status;
      res.end(body);
    };
    if (req.method === 'POST' && url.pathname === '/login') {
      if (session.provider.users !== undefined) await session.login(req, res, 'alice');
      else (await session.refresh(req, res)).getValue().set('user', 'alice');
      await dbsc.offer(req, res);
      return send(200, 'ok');
    }
    if (url.pathname === '/me') {
      const store = await session.start(req, res);
      const user = store.userId() ?? (store.getValue().get('user') as string | undefined) ?? null;
      if (user === null || store.reason === 'unbound') return send(401, 'not logged in');
      return send(200, user);
    }
    if (url.pathname === '/state') {
      const store = await session.start(req, res);
      return send(200, JSON.stringify({ isNew: store.isNew(), reason: store.reason, bound: dbsc.isBound(store), user: store.getValue().get('user') ?? store.userId() }));
    }
    if (req.method === 'POST' && url.pathname === '/logout') {
      await dbsc.logout(req, res);
      return send(200, 'bye');
    }
    if (req.method === 'POST' && url.pathname === '/revoke') {
      return send(200, String(await session.destroyUserSessions('alice')));
    }
    send(404, 'not found');
  };
}

export function dbscSuite(label: string, provider: () => Provider, opts: { users: boolean }): void {
  describe(`dbsc: ${label}`, () => {
    const servers: TestServer[] = [];
    afterEach(async () => {
      while (servers.length) await servers.pop()!.close();
    });

    async function serve(config: Partial<DbscConfig> = {}, sessionConfig: Partial<SessionConfig> = {}): Promise<Served> {
      const session = new Session(provider(), { cookieSecret: SECRET, backend: 'node', ...sessionConfig });
      session.on('error', () => {});
      const unbound: UnboundEvent[] = [];
      session.on('unbound', (e) => unbound.push(e));
      const dbsc = new Dbsc(session, config);
      const server = await listen(dbscApp(session, dbsc));
      servers.push(server);
      return { url: server.url, session, dbsc, unbound };
    }

    /** Logs in and registers: the agent then holds a bound cookie. */
    async function registered(s: Served, alg: 'ES256' | 'RS256' = 'ES256'): Promise<{ agent: DbscAgent; login: TestResponse; reg: TestResponse }> {
      const agent = new DbscAgent(s.url, alg);
      const login = await agent.http.request('/login', { method: 'POST' });
      expect(login.status).toBe(200);
      const reg = await agent.register(login);
      expect(reg.status, reg.body).toBe(200);
      return { agent, login, reg };
    }

    /** A thief's client with every cookie of the agent but the bound one. */
    async function thief(s: Served, agent: DbscAgent): Promise<Client> {
      const t = new Client(s.url);
      for (const c of await agent.http.jar.getCookies(s.url)) if (c.key !== BOUND) await t.setCookie(c.key, c.value);
      return t;
    }

    it('login offers registration; the proof registers the key; instructions and the bound cookie come from one source', async () => {
      const s = await serve();
      const { agent, login, reg } = await registered(s);
      const [offer] = parseRegistration(login.headers['secure-session-registration'] as string);
      expect(offer).toMatchObject({ algorithms: ['ES256', 'RS256'], path: '/dbsc/register' });
      expect(String(login.headers['secure-session-registration'])).not.toMatch(/\bnone\b/);
      expect(reg.headers['cache-control']).toBe('no-store');
      const ins = agent.instructions!;
      expect(ins.session_identifier).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(ins).toMatchObject({ refresh_url: '/dbsc/refresh', scope: { include_site: false, scope_specification: [] } });
      expect(ins.credentials).toEqual([{ type: 'cookie', name: BOUND, attributes: s.dbsc.cookieAttributes }]);
      const line = reg.setCookies.find((l) => l.startsWith(`${BOUND}=`))!;
      const attrs = line.split('; ').slice(1).filter((p) => !p.startsWith('Max-Age='));
      expect(attrs.join('; ')).toBe(ins.credentials[0]!.attributes);
      expect(cookieNamed(reg, BOUND)).toMatchObject({ maxAge: 600, httpOnly: true, path: '/' });
      expect(line).not.toMatch(/Partitioned/i);
      // the next challenge comes with it, for this session id
      expect(parseChallenges(reg.headers['secure-session-challenge'] as string).has(ins.session_identifier)).toBe(true);
      expect((await agent.http.get('/me')).body).toBe('alice');
      const state = json<{ bound: boolean; isNew: boolean }>(await agent.http.get('/state'));
      expect(state).toMatchObject({ bound: true, isNew: false });
    });

    it('a stolen long-lived cookie alone is refused (enforce: a new session, with the unbound event)', async () => {
      const s = await serve();
      const { agent } = await registered(s);
      const t = await thief(s, agent);
      const r = await t.get('/me');
      expect(r.status).toBe(401);
      expect(json<{ isNew: boolean; reason: string; user?: string }>(await t.get('/state'))).toMatchObject({ isNew: true, reason: 'unbound' });
      expect(s.unbound.length).toBeGreaterThanOrEqual(1);
      expect(s.unbound[0]).toMatchObject({ enforced: true, cookieName: 'sid' });
      // a bound cookie of another session does not help either
      const other = await registered(s);
      await t.setCookie(BOUND, (await other.agent.http.cookie(BOUND))!);
      expect((await t.get('/me')).status).toBe(401);
      // the device itself still is the user
      expect((await agent.http.get('/me')).body).toBe('alice');
    });

    it('additive mode: the stolen cookie restores with reason unbound (the app decides)', async () => {
      const s = await serve({ mode: 'additive' });
      const { agent } = await registered(s);
      const t = await thief(s, agent);
      expect(json<{ isNew: boolean; reason: string; user: string }>(await t.get('/state'))).toMatchObject({ isNew: false, reason: 'unbound', user: 'alice' });
      expect(s.unbound.at(-1)).toMatchObject({ enforced: false });
      expect((await t.get('/me')).status).toBe(401);
      expect(json<{ reason: string | null }>(await agent.http.get('/state')).reason).toBeNull();
    });

    it('refresh: no proof → 403 with a challenge for this id; the signed retry → 200 and a new bound cookie', async () => {
      const s = await serve();
      const { agent } = await registered(s);
      const bare = await agent.refreshOnce({ challenge: null });
      expect(bare.status).toBe(403);
      const ch = parseChallenges(bare.headers['secure-session-challenge'] as string);
      expect([...ch.keys()]).toEqual([agent.id]);
      const before = await agent.http.cookie(BOUND);
      const ok = await agent.refreshOnce();
      expect(ok.status, ok.body).toBe(200);
      expect(ok.headers['cache-control']).toBe('no-store');
      const after = cookieNamed(ok, BOUND);
      expect(after?.maxAge).toBe(600);
      expect(after?.value).not.toBe(before);
      expect(json<{ session_identifier: string }>(ok).session_identifier).toBe(agent.id);
      expect((await agent.http.get('/me')).body).toBe('alice');
      // the spec loop: a stale cached challenge gets 403, the retry with its challenge succeeds
      agent.challenge = ch.get(agent.id)!; // used by the refresh above
      const looped = await agent.refresh();
      expect(looped.status).toBe(200);
    });

    it('the thief cannot refresh: no key, a wrong key, a key in the proof, a replayed proof → 403, never 401', async () => {
      const s = await serve();
      const { agent } = await registered(s);
      const t = await thief(s, agent);
      const headers = { 'sec-secure-session-id': `"${agent.id}"` };
      const noProof = await t.request('/dbsc/refresh', { method: 'POST', headers });
      expect(noProof.status).toBe(403);
      const challenge = parseChallenges(noProof.headers['secure-session-challenge'] as string).get(agent.id)!;
      const wrong = await DbscKey.generate('ES256');
      const signed = await wrong.proof(challenge, { withKey: false });
      const bad = await t.request('/dbsc/refresh', { method: 'POST', headers: { ...headers, 'secure-session-response': `"${signed}"` } });
      expect(bad.status).toBe(403);
      expect(json<{ error: string }>(bad).error).toBe('bad-signature');
      expect(cookieNamed(bad, BOUND)).toBeUndefined();
      const withKey = await wrong.proof(challenge, { withKey: true });
      const keyed = await t.request('/dbsc/refresh', { method: 'POST', headers: { ...headers, 'secure-session-response': `"${withKey}"` } });
      expect(keyed.status).toBe(403);
      expect(json<{ error: string }>(keyed).error).toBe('key-at-refresh');
      // the device refreshes; its proof, replayed by the thief, is refused
      const ok = await agent.refresh();
      expect(ok.status).toBe(200);
      const replay = await t.request('/dbsc/refresh', { method: 'POST', headers: { ...headers, 'secure-session-response': `"${agent.lastProof!}"` } });
      expect(replay.status).toBe(403);
      expect(['bad-challenge', 'replayed-challenge']).toContain(json<{ error: string }>(replay).error);
      expect((await t.get('/me')).status).toBe(401);
      // and by the device itself (same cookies): single use
      const again = await agent.refreshOnce({ proof: agent.lastProof! });
      expect(again.status).toBe(403);
      for (const r of [noProof, bad, keyed, replay, again]) expect(r.status).not.toBe(401);
    });

    it('an expired bound cookie is refused until a refresh', async () => {
      const s = await serve();
      const { agent } = await registered(s);
      // The server's own bound cookie, as it would have sealed it 601 s ago.
      const codec = createCodec({ secrets: SECRET, name: `dbsc-bound:${BOUND}`, backend: 'node' });
      await agent.http.setCookie(BOUND, codec.seal(agent.id, Date.now() - 601_000));
      expect((await agent.http.get('/me')).status).toBe(401);
      const fresh = codec.seal(agent.id, Date.now() - 10_000);
      await agent.http.setCookie(BOUND, fresh);
      // (enforce mode made a new session for the unbound request, but saved nothing: the device's cookie stands)
      expect((await agent.http.get('/me')).body).toBe('alice');
      await agent.http.setCookie(BOUND, codec.seal(agent.id, Date.now() - 601_000));
      expect((await agent.refresh()).status).toBe(200);
      expect((await agent.http.get('/me')).body).toBe('alice');
    });

    it('registration refuses a wrong challenge, alg none, a bad signature, and a replayed registration', async () => {
      const s = await serve();
      const agent = new DbscAgent(s.url);
      const login = await agent.http.request('/login', { method: 'POST' });
      const [offer] = parseRegistration(login.headers['secure-session-registration'] as string);
      const key = await DbscKey.generate();
      const post = (proof: string): Promise<TestResponse> => agent.http.request(offer!.path, { method: 'POST', headers: { 'secure-session-response': `"${proof}"` } });
      expect((await post(await key.proof('not-the-challenge', { withKey: true }))).status).toBe(400);
      const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'dbsc+jwt' })).toString('base64url')}.${Buffer.from(JSON.stringify({ jti: offer!.challenge })).toString('base64url')}.`;
      expect((await post(none)).status).toBe(400);
      const good = await key.proof(offer!.challenge, { withKey: true });
      const forged = good.slice(0, -4) + (good.endsWith('AAAA') ? 'BBBB' : 'AAAA');
      expect(json<{ error: string }>(await post(forged)).error).toBe('bad-signature');
      expect(json<{ error: string }>(await post(await key.proof(offer!.challenge, { withKey: true, header: { typ: 'JWT' } }))).error).toBe('bad-type');
      expect(json<{ error: string }>(await post('not a jws'))).toMatchObject({ error: 'malformed-proof' });
      // no request carried a bound cookie so far
      expect(await agent.http.cookie(BOUND)).toBeUndefined();
      expect((await post(good)).status).toBe(200);
      expect((await post(good)).status).toBe(400); // the challenge is used
      expect((await agent.http.get('/me')).body).toBe('alice');
    });

    it('RS256 registers and refreshes too', async () => {
      const s = await serve();
      const { agent } = await registered(s, 'RS256');
      expect((await agent.http.get('/me')).body).toBe('alice');
      expect((await agent.refresh()).status).toBe(200);
    });

    it('malformed refresh requests get typed answers, never a crash', async () => {
      const s = await serve();
      const { agent } = await registered(s);
      const cookie = (await agent.http.jar.getCookieString(s.url)) ?? '';
      const post = (headers: Record<string, string | string[]>): Promise<TestResponse> => rawRequest(s.url, '/dbsc/refresh', { method: 'POST', headers: { cookie, ...headers } });
      expect((await post({})).status).toBe(400);
      expect((await post({ 'sec-secure-session-id': 'unquoted token' })).status).toBe(400);
      expect((await post({ 'sec-secure-session-id': `"${agent.id}"`, 'secure-session-response': '"a.b"' })).status).toBe(403);
      expect((await post({ 'sec-secure-session-id': `"${agent.id}"`, 'secure-session-response': '(1 2)' })).status).toBe(403);
      // an id this session never had: the browser's session for it ends
      const other = await post({ 'sec-secure-session-id': '"someone-else"' });
      expect(other.status).toBe(200);
      expect(JSON.parse(other.body)).toEqual({ continue: false });
    });

    it('logout: the next refresh answers 200 {"continue": false}, with Clear-Site-Data when configured', async () => {
      const s = await serve({ clearSiteData: true });
      const { agent } = await registered(s);
      const out = await agent.http.request('/logout', { method: 'POST' });
      expect(out.headers['clear-site-data']).toBe('"cookies"');
      expect(cookieNamed(out, BOUND)?.maxAge).toBe(0);
      const r = await agent.refreshOnce();
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body)).toEqual({ continue: false });
      expect(agent.terminated).toBe(true);
      expect((await agent.http.get('/me')).status).toBe(401);
    });

    // Only providers with a user index have destroyUserSessions (CookieProvider has none: logout covers it).
    if (opts.users) it('destroyUserSessions: the device and the thief both end (continue: false)', async () => {
      const s = await serve();
      const { agent } = await registered(s);
      const t = await thief(s, agent);
      expect(Number((await new Client(s.url).request('/revoke', { method: 'POST' })).body)).toBeGreaterThanOrEqual(1);
      const r = await agent.refreshOnce();
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body)).toEqual({ continue: false });
      expect((await agent.http.get('/me')).status).toBe(401);
      expect((await t.get('/me')).status).toBe(401);
    });

    it('a session that never registered (a browser without DBSC) is not affected', async () => {
      const s = await serve();
      const c = new Client(s.url);
      await c.request('/login', { method: 'POST' });
      expect((await c.get('/me')).body).toBe('alice');
      expect(s.unbound).toHaveLength(0);
      const line = parseSetCookie(`x=1; ${s.dbsc.cookieAttributes}`);
      expect(line).toMatchObject({ httpOnly: true, sameSite: 'lax', path: '/' });
    });
  });
}
