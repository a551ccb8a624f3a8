/**
 * Issue 30's login/refresh scenarios, reused per provider: login and refresh
 * are a move exactly one request wins. Over HTTP with cookie jars, on real
 * servers (the runners: concurrency.test.ts for memory, Redis, Redis Cluster
 * and memcached; concurrency-sql.test.ts for PostgreSQL and SQLite).
 *
 * The app waits a little between `start` and `login`/`refresh` (as a password
 * check would), so the concurrent requests all restore the old session before
 * any of them moves it: the race is real on every round.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SessionError } from '../../src/errors.js';
import { Session } from '../../src/session/session.js';
import type { Provider } from '../../src/providers/provider.js';
import { Client, sleep } from '../helpers/http.js';

export const SECRET = 'concurrency-test-secret-0123456789abcdefghijkl';
export const USER = 'user-1';

export interface Body {
  sid: string;
  isNew: boolean;
  reason: string | null;
  data: Record<string, unknown>;
  userId: string | null;
  error?: string;
}

export function app(session: Session) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://x');
    const q = url.searchParams;
    res.setHeader('content-type', 'application/json');
    try {
      let store = await session.start(req, res);
      if (url.pathname === '/set') for (const [k, v] of q) if (k !== 'wait') store.getValue().set(k, v);
      // A password check's worth of waiting: every concurrent request has restored before any moves.
      if (q.has('wait')) await sleep(Number(q.get('wait')));
      // Or held here (restored) until the test opens the gate.
      const gate = q.get('gate');
      if (gate !== null) await gates.get(gate)?.pass();
      if (url.pathname === '/login') store = await session.login(req, res, q.get('user') ?? USER);
      if (url.pathname === '/refresh') store = await session.refresh(req, res);
      if (url.pathname === '/save') {
        store.getValue().set(q.get('k') ?? 'k', q.get('v') ?? 'v');
        try {
          await store.save();
        } catch (err) {
          // Gone meanwhile (moved by a login): the change is refused, the request is not a failure.
          if (err instanceof SessionError && err.code === 'ERR_SESSION_NOT_FOUND') {
            res.end(JSON.stringify({ sid: store.sessionID(), saved: false, error: err.code }));
            return;
          }
          res.statusCode = 503;
          res.end(JSON.stringify({ error: err instanceof SessionError ? err.code : String(err) }));
          return;
        }
      }
      res.end(JSON.stringify({ sid: store.sessionID(), isNew: store.isNew(), reason: store.reason, data: store.getValue().toJSON(), userId: store.userId() }));
    } catch (err) {
      res.statusCode = 500;
      res.end(JSON.stringify({ error: err instanceof SessionError ? err.code : String(err) }));
    }
  };
}

/** A point the test holds a request (or a store command) at: `arrived` once one is there, `open()` lets it on. */
export class Gate {
  #arrive!: () => void;
  #open!: () => void;
  readonly arrived = new Promise<void>((r) => (this.#arrive = r));
  readonly #opened = new Promise<void>((r) => (this.#open = r));
  pass(): Promise<void> {
    this.#arrive();
    return this.#opened;
  }
  open(): void {
    this.#open();
  }
}
/** A gate that opens once `n` requests have arrived at it (all have restored the session by then). */
export class Barrier extends Gate {
  #left: number;
  constructor(n: number) {
    super();
    this.#left = n;
  }
  override pass(): Promise<void> {
    const passing = super.pass();
    if (--this.#left === 0) this.open();
    return passing;
  }
}
export const gates = new Map<string, Gate>();

export const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length) await (closers.pop() as () => Promise<void>)();
});

export async function serve(session: Session): Promise<string> {
  const server = createServer((req, res) => void app(session)(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export const body = (r: { body: string }): Body => JSON.parse(r.body) as Body;

export interface Backend {
  name: string;
  /**
   * A provider on a fresh key prefix, and what the store holds under that
   * prefix. `claim`: when set, the provider's claim of an old ID (the step
   * that decides a login) passes this gate first.
   */
  make(claim?: Gate): { provider: Provider; copies(key: string): Promise<number> };
}

export function loginMoveSuite(b: Backend): void {
  describe(`login and refresh as one move on ${b.name}`, () => {
    async function setup(claimOrConfig?: Gate | { renewGrace: number }): Promise<{ session: Session; url: string; copies(key: string): Promise<number>; errors: string[] }> {
      const claim = claimOrConfig instanceof Gate ? claimOrConfig : undefined;
      const { provider, copies } = b.make(claim);
      const session = new Session(provider, { cookieSecret: SECRET, ...(claimOrConfig instanceof Gate ? {} : claimOrConfig) });
      const errors: string[] = [];
      session.on('error', (e) => errors.push(e.error instanceof SessionError ? e.error.code : String(e.error)));
      closers.push(async () => session.dispose());
      return { session, url: await serve(session), copies, errors };
    }

    /** An anonymous session with a cart; its cookie header. */
    async function anonymous(url: string): Promise<{ client: Client; sid: string; cookie: string }> {
      const client = new Client(url);
      const created = body(await client.get('/set?cart=7'));
      return { client, sid: created.sid, cookie: (await client.jar.getCookieString(url)) as string };
    }

    async function expectDead(url: string, cookie: string): Promise<void> {
      const r = body(await new Client(url).get('/state', { headers: { cookie } }));
      expect(r.isNew).toBe(true);
      expect(r.data).toEqual({});
    }

    for (const n of [2, 8]) {
      it(`${n} concurrent logins of one anonymous session: all 200, all join one session carrying its data; old ID dead; the index lists it alone`, async () => {
        const { session, url, copies, errors } = await setup();
        const { client, sid, cookie } = await anonymous(url);
        // Every tab has restored the pre-login session before any logs in (a login that arrives after
        // the move finds the old ID gone, and logs in from a fresh session: see the docs).
        gates.set(`login${n}`, new Barrier(n));
        const responses = await Promise.all(Array.from({ length: n }, () => client.get(`/login?gate=login${n}`, { headers: { cookie } })));
        gates.delete(`login${n}`);
        for (const r of responses) expect(r.status, r.body).toBe(200);
        const sids = new Set(responses.map((r) => body(r).sid));
        expect(sids.size).toBe(1);
        const [winner] = [...sids] as [string];
        expect(winner).not.toBe(sid);
        for (const r of responses) expect(body(r)).toMatchObject({ userId: USER, data: { cart: '7' } });
        // The jar (both tabs) holds the one session.
        expect(body(await client.get('/state'))).toMatchObject({ sid: winner, isNew: false, userId: USER, data: { cart: '7' } });
        await expectDead(url, cookie);
        const listed = await session.userSessions(USER);
        expect(listed).toHaveLength(1);
        const copiesLeft = await copies('cart');
        if (!Number.isNaN(copiesLeft)) expect(copiesLeft).toBe(1);
        expect(errors).toEqual([]);
      }, 30_000);

      it(`${n} concurrent refreshes: all 200, exactly one session carries the data, the others go on fresh; old ID dead`, async () => {
        const { url, copies, errors } = await setup();
        const { client, sid, cookie } = await anonymous(url);
        gates.set(`refresh${n}`, new Barrier(n));
        const responses = await Promise.all(Array.from({ length: n }, () => client.get(`/refresh?gate=refresh${n}`, { headers: { cookie } })));
        gates.delete(`refresh${n}`);
        for (const r of responses) expect(r.status, r.body).toBe(200);
        const carriers = responses.map(body).filter((r) => r.data.cart === '7');
        expect(carriers).toHaveLength(1);
        const winner = (carriers[0] as Body).sid;
        expect(winner).not.toBe(sid);
        for (const r of responses.map(body)) if (r.sid !== winner) expect(r.data).toEqual({});
        // Losers sent no cookie (their fresh session is empty): the jar holds the winner's.
        expect(body(await client.get('/state'))).toMatchObject({ sid: winner, isNew: false, data: { cart: '7' } });
        await expectDead(url, cookie);
        const copiesLeft = await copies('cart');
        if (!Number.isNaN(copiesLeft)) expect(copiesLeft).toBe(1);
        expect(errors).toEqual([]);
      }, 30_000);
    }

    it('a login that arrives with the old cookie just after the move finished joins it too (the same user, within the grace)', async () => {
      const { session, url, copies } = await setup();
      const { client, cookie } = await anonymous(url);
      const first = body(await client.get('/login', { headers: { cookie } }));
      const late = await client.get('/login', { headers: { cookie } });
      expect(late.status, late.body).toBe(200);
      expect(body(late)).toMatchObject({ sid: first.sid, userId: USER, data: { cart: '7' } });
      expect(await session.userSessions(USER)).toHaveLength(1);
      // Another user with that old cookie gets nothing of it.
      const other = body(await new Client(url).get('/login?user=mallory', { headers: { cookie } }));
      expect(other.sid).not.toBe(first.sid);
      expect(other).toMatchObject({ userId: 'mallory', data: {} });
      const copiesLeft = await copies('cart');
      if (!Number.isNaN(copiesLeft)) expect(copiesLeft).toBe(1);
    }, 30_000);

    it('a login with the old cookie after the winner was logged out everywhere (claim still within the grace): 200 from a fresh session, nothing resurrected', async () => {
      const { session, url, errors } = await setup();
      const { client, cookie } = await anonymous(url);
      const first = body(await client.get('/login', { headers: { cookie } }));
      expect(await session.destroyUserSessions(USER)).toBe(1);
      const late = await new Client(url).get('/login', { headers: { cookie } });
      expect(late.status, late.body).toBe(200);
      expect(body(late)).toMatchObject({ userId: USER, data: {} });
      expect(body(late).sid).not.toBe(first.sid);
      expect(await session.userSessions(USER)).toHaveLength(1);
      expect(errors).toEqual([]);
    }, 30_000);

    it('after the grace, a login with the old cookie starts from a fresh session: only the first carries the data', async () => {
      const { session, url, copies } = await setup({ renewGrace: 1 });
      const { client, cookie } = await anonymous(url);
      const first = body(await client.get('/login', { headers: { cookie } }));
      await sleep(2_500);
      const late = body(await client.get('/login', { headers: { cookie } }));
      expect(late).toMatchObject({ isNew: true, reason: 'unknown', userId: USER, data: {} });
      expect(late.sid).not.toBe(first.sid);
      expect(await session.userSessions(USER)).toHaveLength(2);
      const copiesLeft = await copies('cart');
      if (!Number.isNaN(copiesLeft)) expect(copiesLeft).toBe(1);
    }, 30_000);

    it('logins as two different users at once: one wins the data, the other logs in from a fresh session; the indexes match', async () => {
      const { session, url, copies } = await setup();
      const { client, cookie } = await anonymous(url);
      gates.set('two-users', new Barrier(2));
      const [a, b2] = await Promise.all([client.get('/login?gate=two-users&user=alice', { headers: { cookie } }), client.get('/login?gate=two-users&user=bob', { headers: { cookie } })]);
      gates.delete('two-users');
      expect(a.status, a.body).toBe(200);
      expect(b2.status, b2.body).toBe(200);
      const [ra, rb] = [body(a), body(b2)];
      expect(ra.sid).not.toBe(rb.sid);
      // Exactly one carries the cart, bound to its own user; the other is empty.
      const carriers = [ra, rb].filter((r) => r.data.cart === '7');
      expect(carriers).toHaveLength(1);
      for (const r of [ra, rb]) if (r.data.cart === undefined) expect(r.data).toEqual({});
      expect(ra.userId).toBe('alice');
      expect(rb.userId).toBe('bob');
      expect(await session.userSessions('alice')).toHaveLength(1);
      expect(await session.userSessions('bob')).toHaveLength(1);
      const copiesLeft = await copies('cart');
      if (!Number.isNaN(copiesLeft)) expect(copiesLeft).toBe(1);
    }, 30_000);

    if (b.name !== 'memory') {
      it('a login racing saves: a save acknowledged between the copy and the claim is in the new session; one after the claim is refused; the old ID stays dead', async () => {
        const claim = new Gate();
        const late = new Gate();
        gates.set('late', late);
        try {
          const { session, url, copies } = await setup(claim);
          const { client, cookie } = await anonymous(url);
          const loginP = client.get('/login', { headers: { cookie } });
          // The login has copied the session and waits at its claim; a request restores the old ID meanwhile.
          await claim.arrived;
          const lateP = new Client(url).get('/save?gate=late&k=late&v=1', { headers: { cookie } });
          await late.arrived;
          // A save lands on the old ID between the copy and the claim, and is acknowledged.
          const during = await new Client(url).get('/save?k=during&v=1', { headers: { cookie } });
          expect(during.status, during.body).toBe(200);
          expect(JSON.parse(during.body)).not.toHaveProperty('saved');
          claim.open();
          const login = await loginP;
          expect(login.status, login.body).toBe(200);
          // The request that restored before the claim saves after it: refused, no 500, nothing written back.
          late.open();
          const lateRes = await lateP;
          expect(lateRes.status, lateRes.body).toBe(200);
          expect(JSON.parse(lateRes.body)).toMatchObject({ saved: false, error: 'ERR_SESSION_NOT_FOUND' });
          const state = body(await client.get('/state'));
          expect(state).toMatchObject({ sid: body(login).sid, userId: USER, data: { cart: '7', during: '1' } });
          expect(state.data).not.toHaveProperty('late');
          await expectDead(url, cookie);
          expect(await session.userSessions(USER)).toHaveLength(1);
          expect(await copies('cart')).toBe(1);
        } finally {
          gates.delete('late');
          claim.open();
        }
      }, 30_000);
    }

    it('a login racing saves of the same session: no 500, one session carries the data, old ID dead, the index lists it alone', async () => {
      for (let i = 0; i < 4; i++) {
        const { session, url, copies } = await setup();
        const { client, cookie } = await anonymous(url);
        // Saves that land before, during and after the move.
        const [login, ...saves] = await Promise.all([
          client.get('/login?wait=20', { headers: { cookie } }),
          ...[0, 10, 20, 30].map((w) => client.get(`/set?wait=${w + i * 3}&k${w}=1`, { headers: { cookie } })),
        ]);
        expect(login.status, login.body).toBe(200);
        for (const s of saves) expect(s.status, s.body).toBe(200);
        const winner = body(login).sid;
        // The login's cookie (a save request that arrived after the move started a fresh session of its own).
        const loggedIn = login.setCookies.map((l) => l.split(';')[0]).join('; ');
        const state = body(await new Client(url).get('/state', { headers: { cookie: loggedIn } }));
        expect(state).toMatchObject({ sid: winner, userId: USER, data: { cart: '7' } });
        await expectDead(url, cookie);
        expect(await session.userSessions(USER)).toHaveLength(1);
        const copiesLeft = await copies('cart');
        if (!Number.isNaN(copiesLeft)) expect(copiesLeft).toBe(1);
        // A save that reached the store before the move is in the new session; none resurrected the old ID.
        for (const w of [0, 10, 20, 30]) if (state.data[`k${w}`] !== undefined) expect(state.data[`k${w}`]).toBe('1');
      }
    }, 60_000);
  });
}
