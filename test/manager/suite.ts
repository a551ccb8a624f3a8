/**
 * The manager suite: a real `node:http` server on port 0, real clients
 * (fetch + tough-cookie), over any provider and any crypto backend.
 *
 * Reusable: `managerSuite('redis', async () => ({ provider, close }), { backend: 'js' })`.
 * `makeProvider` is called once per test server; each call must give a
 * provider on an isolated (or at least shared-safe) store.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createCodec, nativeAvailable, wasmAvailable } from '../../src/crypto/index.js';
import type { BackendName } from '../../src/crypto/types.js';
import { CorruptRecordError, DuplicateIdError, SessionError, StoreUnavailableError } from '../../src/errors.js';
import type { SessionConfig } from '../../src/manager/config.js';
import type { SessionEventName, SessionEvents } from '../../src/manager/events.js';
import { Session } from '../../src/session/session.js';
import type { Provider } from '../../src/providers/provider.js';
import { Client, cookieNamed, cookiesNamed, json, listen, rawRequest, sleep, type TestResponse } from '../helpers/http.js';
import { testApp, type StateBody } from './app.js';
import { instrument, type Instrumented } from './instrument.js';

export interface ManagerFixture {
  provider: Provider;
  close(): Promise<void>;
}

export interface ManagerSuiteOptions {
  backend: BackendName;
  /** Idle timeout (sessionExpire) for the expiry tests, in seconds. Default 1. memcached counts TTLs in whole seconds (an item with TTL N lives N-1..N s) and the rolling test touches every 0.6·N s, so it wants 4. */
  idleSeconds?: number;
  /** How long past the idle timeout the idle test waits, ms. Default 400. */
  idleSlackMs?: number;
  /**
   * Concurrency test size. Default 20 clients × 20 requests: isolation between
   * concurrent clients shows at that size; volume belongs in the benchmark.
   */
  clients?: number;
  requestsPerClient?: number;
}

export const SECRET = 'manager-suite-secret-0123456789-abcdef';
export const OLD_SECRET = 'manager-suite-old-secret-0123456789-xyz';
const OTHER_SECRET = 'some-other-application-secret-0123456789';
const EVENTS: readonly SessionEventName[] = ['invalid', 'expired', 'unknown', 'error'];

type Recorded = { [K in SessionEventName]: { name: K; e: SessionEvents[K] } }[SessionEventName];

interface Ctx {
  url: string;
  session: Session;
  inst: Instrumented;
  fixture: ManagerFixture;
  events: Recorded[];
  client(): Client;
  /** GET `path` with exactly this Cookie header (string, or one header line per entry). */
  raw(path: string, cookie?: string | string[]): Promise<TestResponse>;
}

export function managerSuite(label: string, makeProvider: () => ManagerFixture | Promise<ManagerFixture>, options: ManagerSuiteOptions): void {
  const { backend } = options;
  const idle = options.idleSeconds ?? 1;
  const slack = options.idleSlackMs ?? 400;

  describe(`manager suite: ${label} [${backend}]`, () => {
    beforeAll(() => {
      // Never a silent skip: without the module the wasm run fails, saying why.
      if (backend === 'wasm' && !wasmAvailable()) {
        throw new Error('backend wasm: wasm/wasm_session_core.wasm is missing or does not load; build it with `npm run build:wasm`');
      }
      if (backend === 'native' && !nativeAvailable()) {
        throw new Error('backend native: the addon does not load; build it with `npm run build:native` (cargo, a C compiler, Node headers)');
      }
    });

    const cleanups: Array<() => Promise<void>> = [];
    afterEach(async () => {
      while (cleanups.length) await (cleanups.pop() as () => Promise<void>)();
    });

    async function fixture(): Promise<ManagerFixture> {
      const fx = await makeProvider();
      cleanups.push(() => fx.close());
      return fx;
    }

    /** A server with its own Session over `fx` (a fresh provider unless given). */
    async function setup(config: Partial<SessionConfig> = {}, fx?: ManagerFixture): Promise<Ctx> {
      const f = fx ?? (await fixture());
      const inst = instrument(f.provider);
      const session = new Session(inst.provider, { cookieSecret: SECRET, backend, ...config });
      const events: Recorded[] = [];
      for (const name of EVENTS) session.on(name, (e: SessionEvents[typeof name]) => events.push({ name, e } as Recorded));
      const server = await listen(testApp(session));
      cleanups.push(() => server.close());
      return {
        url: server.url,
        session,
        inst,
        fixture: f,
        events,
        client: () => new Client(server.url),
        raw: (path, cookie) => rawRequest(server.url, path, { headers: cookie === undefined ? {} : { cookie } }),
      };
    }

    const state = (r: TestResponse): StateBody => {
      expect(r.status, r.body).toBe(200);
      return json<StateBody>(r);
    };
    const names = (ctx: Ctx): string[] => ctx.events.map((x) => x.name);

    it('uses the requested backend', async () => {
      const ctx = await setup();
      expect(ctx.session.backend).toBe(backend);
    });

    it('create → restore → change → restore → refresh → destroy', async () => {
      const ctx = await setup();
      const c = ctx.client();

      const created = await c.get('/set?user=ann');
      const s1 = state(created);
      // `saved` is false in the body: the app answered before its response's save.
      expect(s1).toMatchObject({ isNew: true, reason: 'absent', data: { user: 'ann' }, saved: false });
      const sc = cookieNamed(created, 'sid');
      expect(sc).toMatchObject({ httpOnly: true, path: '/', sameSite: 'lax', maxAge: 86400 });
      expect(sc?.secure).toBeFalsy();

      const restored = await c.get('/state');
      expect(state(restored)).toMatchObject({ isNew: false, reason: null, sid: s1.sid, data: { user: 'ann' } });
      expect(restored.setCookies).toEqual([]);

      expect(state(await c.get('/set?user=bob')).data).toEqual({ user: 'bob' });
      expect(state(await c.get('/state')).data).toEqual({ user: 'bob' });

      const oldToken = (await c.cookie('sid')) as string;
      const refreshed = await c.get('/refresh');
      const s2 = state(refreshed);
      expect(s2.sid).not.toBe(s1.sid);
      expect(s2.data).toEqual({ user: 'bob' });
      expect(cookieNamed(refreshed, 'sid')?.value).not.toBe(oldToken);
      expect(state(await c.get('/state'))).toMatchObject({ isNew: false, sid: s2.sid, data: { user: 'bob' } });

      // The pre-refresh cookie no longer restores anything: fixation defeated.
      const stale = state(await ctx.raw('/state', `sid=${oldToken}`));
      expect(stale).toMatchObject({ isNew: true, reason: 'unknown', data: {} });
      expect(names(ctx)).toContain('unknown');

      const newToken = (await c.cookie('sid')) as string;
      const destroyed = await c.get('/destroy');
      expect(destroyed.status).toBe(200);
      const cleared = cookieNamed(destroyed, 'sid');
      expect(cleared).toMatchObject({ value: '', maxAge: 0, httpOnly: true, path: '/' });
      expect(cleared?.expires?.getTime()).toBe(0);
      expect(await c.cookie('sid')).toBeUndefined();
      expect(state(await c.get('/state'))).toMatchObject({ isNew: true, reason: 'absent', data: {} });
      expect(state(await ctx.raw('/state', `sid=${newToken}`))).toMatchObject({ isNew: true, reason: 'unknown', data: {} });
      expect(ctx.inst.counts.destroy).toBe(1);
    });

    it('lazy creation: no store write and no cookie until the first change; unchanged values cost no write', async () => {
      const ctx = await setup();
      const c = ctx.client();
      for (let i = 0; i < 3; i++) {
        const r = await c.get('/state');
        expect(state(r)).toMatchObject({ isNew: true, reason: 'absent', saved: false });
        expect(r.setCookies).toEqual([]);
      }
      expect(ctx.inst.counts.new).toBe(0);

      const first = await c.get('/set?a=1');
      expect(cookieNamed(first, 'sid')).toBeDefined();
      expect(ctx.inst.counts).toMatchObject({ new: 1, setValue: 0 });

      await c.get('/state');
      await c.get('/set?a=1'); // same content: not a change
      expect(ctx.inst.counts.setValue).toBe(0);
      await c.get('/set?a=2');
      expect(ctx.inst.counts.setValue).toBe(1);
      expect(state(await c.get('/state')).data).toEqual({ a: '2' });
    });

    it('saveUninitialized: true creates the session and sends the cookie at start', async () => {
      const ctx = await setup({ saveUninitialized: true });
      const c = ctx.client();
      const r = await c.get('/state');
      expect(state(r)).toMatchObject({ isNew: true, reason: 'absent', saved: true });
      expect(cookieNamed(r, 'sid')).toBeDefined();
      expect(ctx.inst.counts.new).toBe(1);
      expect(state(await c.get('/state'))).toMatchObject({ isNew: false, sid: json<StateBody>(r).sid });
    });

    it('session.new: a fresh session, created at once, whatever the cookie', async () => {
      const ctx = await setup();
      const c = ctx.client();
      const first = state(await c.get('/set?a=1'));
      const r = await c.get('/new');
      const fresh = state(r);
      expect(fresh).toMatchObject({ isNew: true, saved: true, data: {} });
      expect(fresh.sid).not.toBe(first.sid);
      expect(cookieNamed(r, 'sid')).toBeDefined();
      expect(state(await c.get('/state'))).toMatchObject({ isNew: false, sid: fresh.sid, data: {} });
    });

    it('start twice on one request gives the same store', async () => {
      const ctx = await setup();
      expect(json<{ same: boolean }>(await ctx.client().get('/twice')).same).toBe(true);
    });

    it("keeps the app's Set-Cookie headers; a refresh in the same response replaces only the session cookie", async () => {
      const ctx = await setup();
      const c = ctx.client();
      const r = await c.get('/app-cookies?refresh=1');
      expect(r.status).toBe(200);
      expect(cookieNamed(r, 'theme')?.value).toBe('dark');
      expect(cookieNamed(r, 'lang')?.value).toBe('en');
      expect(cookiesNamed(r, 'sid')).toHaveLength(1);
      const sid = json<StateBody>(r).sid;
      expect(state(await c.get('/state'))).toMatchObject({ isNew: false, sid, data: { x: 1 } });
    });

    it('saves explicitly, before streamed headers, and after an explicit writeHead', async () => {
      const ctx = await setup();
      const a = ctx.client();
      const r = await a.get('/explicit-save');
      expect(r.status).toBe(200);
      expect(cookieNamed(r, 'sid')).toBeDefined();
      expect(state(await a.get('/state')).data).toEqual({ saved: 'explicitly' });

      const b = ctx.client();
      const w = await b.get('/write-head-first');
      expect(cookieNamed(w, 'sid')).toBeDefined();
      expect(state(await b.get('/state')).data).toEqual({ early: true });

      // An existing session changed after the headers went out still saves (its cookie is already there).
      expect((await b.get('/change-after-headers')).status).toBe(200);
      expect(state(await b.get('/state')).data).toEqual({ early: true, late: true });
    });

    it('a new session changed after the headers went out is not created (no cookie could point to it) and says so', async () => {
      const ctx = await setup();
      const c = ctx.client();
      const r = await c.get('/change-after-headers');
      expect(r.status).toBe(200);
      expect(r.setCookies).toEqual([]);
      expect(ctx.inst.counts.new).toBe(0);
      const err = ctx.events.find((x) => x.name === 'error');
      expect(err?.name === 'error' && (err.e.error as SessionError).code).toBe('ERR_HEADERS_SENT');
    });

    it('setValue replaces the data and saves it', async () => {
      const ctx = await setup();
      const c = ctx.client();
      await c.get('/set?a=1&b=2');
      expect(state(await c.get('/set-value')).data).toEqual({ replaced: true });
      expect(state(await c.get('/state')).data).toEqual({ replaced: true });
    });

    describe('bad cookies: 200 and a new session, with the reason', () => {
      async function withSession(ctx: Ctx): Promise<{ token: string; sid: string }> {
        const c = ctx.client();
        const s = state(await c.get('/set?who=me'));
        return { token: (await c.cookie('sid')) as string, sid: s.sid };
      }

      it('tampered, truncated, garbage, oversized, foreign', async () => {
        const ctx = await setup();
        const { token } = await withSession(ctx);
        const mid = token.length >> 1;
        const flipped = token.slice(0, mid) + (token[mid] === 'A' ? 'B' : 'A') + token.slice(mid + 1);
        const foreign = createCodec({ secrets: OTHER_SECRET, name: 'sid', backend }).seal('AAAAAAAAAAAAAAAAAAAAAA');
        const cases: Record<string, string> = {
          tampered: flipped,
          truncated: token.slice(0, token.length - 5),
          garbage: 'not-a-token!!',
          empty: '',
          'bad percent-encoding': '%E0%A4%A',
          oversized: 'A'.repeat(8192),
          foreign,
        };
        for (const [what, value] of Object.entries(cases)) {
          ctx.events.length = 0;
          const r = await ctx.raw('/state', `sid=${value}`);
          expect(r.status, what).toBe(200);
          expect(json<StateBody>(r), what).toMatchObject({ isNew: true, reason: 'invalid', data: {} });
          expect(r.setCookies, what).toEqual([]);
          expect(names(ctx), what).toEqual(['invalid']);
        }
        // A change on top of a bad cookie creates a new session as usual.
        const r = await ctx.raw('/set?k=v', `sid=${flipped}`);
        expect(json<StateBody>(r)).toMatchObject({ isNew: true, reason: 'invalid' });
        expect(cookieNamed(r, 'sid')?.value).not.toBe(flipped);
      });

      it('duplicated cookies: the one that opens wins, in any order, in one header or several', async () => {
        const ctx = await setup();
        const { token, sid } = await withSession(ctx);
        const shapes: Array<string | string[]> = [
          `sid=garbage; sid=${token}`,
          `sid=${token}; sid=garbage`,
          `other=1; sid=${'A'.repeat(4000)}; sid=${token}; sid=x`,
          ['sid=garbage', `sid=${token}`],
        ];
        for (const cookie of shapes) {
          const r = await ctx.raw('/state', cookie);
          expect(r.status).toBe(200);
          expect(json<StateBody>(r)).toMatchObject({ isNew: false, reason: null, sid, data: { who: 'me' } });
        }
        const bad = await ctx.raw('/state', ['sid=garbage', 'sid=more-garbage']);
        expect(json<StateBody>(bad)).toMatchObject({ isNew: true, reason: 'invalid' });
      });

      it('a 8 KiB Cookie header with many cookies is fine', async () => {
        const ctx = await setup();
        const { token, sid } = await withSession(ctx);
        const filler = Array.from({ length: 200 }, (_, i) => `c${i}=${'v'.repeat(30)}`).join('; ');
        expect(filler.length).toBeGreaterThan(7000);
        expect(json<StateBody>(await ctx.raw('/state', `${filler}; sid=${token}`))).toMatchObject({ isNew: false, sid });
        expect(json<StateBody>(await ctx.raw('/state', `${filler}; sid=${'Z'.repeat(1200)}`))).toMatchObject({ reason: 'invalid' });
      });
    });

    it(`expiry: absolute (cookieExpire), idle (sessionExpire ${idle}s), rolling keeps alive, rolling off does not`, async () => {
      const absolute = await setup({ cookieExpire: 1, sessionExpire: 60 });
      const idleCtx = await setup({ sessionExpire: idle });
      const rolling = await setup({ sessionExpire: idle });
      const fixed = await setup({ sessionExpire: idle, rolling: false });

      const a = absolute.client();
      const r = await a.get('/set?k=v');
      expect(cookieNamed(r, 'sid')?.maxAge).toBe(1);
      const token = (await a.cookie('sid')) as string;
      const ab = (async () => {
        await sleep(1150);
        // The jar has dropped it (Max-Age=1); a client that kept it gets `expired`.
        expect(await a.cookie('sid')).toBeUndefined();
        expect(state(await absolute.raw('/state', `sid=${token}`))).toMatchObject({ isNew: true, reason: 'expired', data: {} });
        expect(names(absolute)).toEqual(['expired']);
      })();

      const i = idleCtx.client();
      await i.get('/set?k=v');
      const id = (async () => {
        await sleep(idle * 1000 + slack);
        expect(state(await i.get('/state'))).toMatchObject({ isNew: true, reason: 'unknown', data: {} });
      })();

      const step = Math.round(idle * 1000 * 0.5); // 3 steps = 1.5 × idle: margins of idle/2 both ways
      const ro = rolling.client();
      const fx = fixed.client();
      await ro.get('/set?k=v');
      await fx.get('/set?k=v');
      const keepAlive = (async () => {
        for (let n = 0; n < 3; n++) {
          await sleep(step);
          expect(state(await ro.get('/state')), `rolling, request ${n}`).toMatchObject({ isNew: false, data: { k: 'v' } });
        }
      })();
      const notRolling = (async () => {
        let last: StateBody | undefined;
        for (let n = 0; n < 3; n++) {
          await sleep(step);
          last = state(await fx.get('/state'));
        }
        expect(last).toMatchObject({ isNew: true, reason: 'unknown' });
      })();
      await Promise.all([ab, id, keepAlive, notRolling]);
    });

    it('secret rotation: an old-secret cookie opens under [new, old] and is re-sealed under the new one, same issuedAt', async () => {
      const fx = await fixture();
      const before = await setup({ cookieSecret: OLD_SECRET, cookieExpire: 3600 }, fx);
      const after = await setup({ cookieSecret: [SECRET, OLD_SECRET], cookieExpire: 3600 }, fx);
      const c = before.client();
      const s = state(await c.get('/set?k=v'));
      const oldToken = (await c.cookie('sid')) as string;
      const oldOnly = createCodec({ secrets: OLD_SECRET, name: 'sid', backend });
      const newOnly = createCodec({ secrets: SECRET, name: 'sid', backend });
      const issued = oldOnly.openText(oldToken);
      expect(issued.ok).toBe(true);
      await sleep(1100); // so a reset of issuedAt or Max-Age would show

      const r = await after.raw('/state', `sid=${oldToken}`);
      expect(state(r)).toMatchObject({ isNew: false, reason: null, sid: s.sid, data: { k: 'v' } });
      const line = cookieNamed(r, 'sid');
      expect(line).toBeDefined();
      const reopened = newOnly.openText(line?.value as string);
      expect(reopened.ok && reopened.value).toBe(s.sid);
      expect(reopened.ok && issued.ok && reopened.issuedAt === issued.issuedAt).toBe(true);
      expect(oldOnly.openText(line?.value as string).ok).toBe(false);
      expect(line?.maxAge).toBeLessThan(3600);
      expect(line?.maxAge).toBeGreaterThan(3590);

      // Rotation done: the new cookie restores with no further Set-Cookie.
      const next = await after.raw('/state', `sid=${line?.value}`);
      expect(state(next)).toMatchObject({ isNew: false, sid: s.sid });
      expect(next.setCookies).toEqual([]);
    });

    it('remember-me round trip; remember and session cookies are not interchangeable', async () => {
      const ctx = await setup();
      const c = ctx.client();
      const set = await c.get('/remember?psk=user-7.k3y');
      const line = cookieNamed(set, 'sid_remember');
      expect(line).toMatchObject({ httpOnly: true, path: '/', maxAge: 2592000 });
      expect(json<{ psk: string | null }>(await c.get('/remembered')).psk).toBe('user-7.k3y');

      await c.get('/set?k=v');
      const sessionToken = (await c.cookie('sid')) as string;
      const rememberToken = line?.value as string;
      ctx.events.length = 0;
      expect(json<StateBody>(await ctx.raw('/state', `sid=${rememberToken}`))).toMatchObject({ isNew: true, reason: 'invalid' });
      expect(json<{ psk: string | null }>(await ctx.raw('/remembered', `sid_remember=${sessionToken}`)).psk).toBeNull();
      expect(ctx.events.map((x) => x.name === 'invalid' && x.e.cookieName)).toEqual(['sid', 'sid_remember']);

      const forget = await c.get('/forget');
      expect(cookieNamed(forget, 'sid_remember')).toMatchObject({ value: '', maxAge: 0 });
      expect(json<{ psk: string | null }>(await c.get('/remembered')).psk).toBeNull();
      // The session itself is untouched by forgetting.
      expect(state(await c.get('/state'))).toMatchObject({ isNew: false, data: { k: 'v' } });
    });

    describe('store failures', () => {
      async function established(ctx: Ctx): Promise<Client> {
        const c = ctx.client();
        await c.get('/set?k=v');
        ctx.events.length = 0;
        return c;
      }

      it("onStoreError 'fail': start rejects with ERR_STORE_UNAVAILABLE (the app answers 503) and it is reported", async () => {
        const ctx = await setup();
        const c = await established(ctx);
        ctx.inst.fail.restore = () => new StoreUnavailableError('store down');
        const r = await c.get('/state');
        expect(r.status).toBe(503);
        expect(json<{ error: string }>(r).error).toBe('ERR_STORE_UNAVAILABLE');
        expect(ctx.events).toHaveLength(1);
        const e = ctx.events[0];
        expect(e?.name === 'error' && e.e.operation).toBe('restore');
        // A provider's plain Error is wrapped, with the original as cause.
        ctx.inst.fail.restore = () => new Error('ECONNRESET');
        const r2 = await c.get('/state');
        expect(json<{ error: string }>(r2).error).toBe('ERR_STORE_UNAVAILABLE');
        const e2 = ctx.events[1];
        expect(e2?.name === 'error' && (e2.e.error.cause as Error).message).toBe('ECONNRESET');
      });

      it("onStoreError 'fresh': a new, unsaved session with reason store-error, no cookie", async () => {
        const ctx = await setup({ onStoreError: 'fresh' });
        const c = await established(ctx);
        ctx.inst.fail.restore = () => new StoreUnavailableError('store down');
        const r = await c.get('/set?other=1');
        expect(state(r)).toMatchObject({ isNew: true, reason: 'store-error', saved: false });
        expect(r.setCookies).toEqual([]);
        expect(ctx.inst.counts.new).toBe(1); // only the original creation
        expect(names(ctx)).toEqual(['error']);
        delete ctx.inst.fail.restore;
        expect(state(await c.get('/state'))).toMatchObject({ isNew: false, data: { k: 'v' } });
      });

      it('a corrupt record: new session (new ID), record untouched, error emitted', async () => {
        const ctx = await setup();
        const c = await established(ctx);
        const before = state(await c.get('/state'));
        ctx.inst.fail.restore = () => new CorruptRecordError('record is not JSON');
        const r = state(await c.get('/set?fresh=1'));
        expect(r).toMatchObject({ isNew: true, reason: 'corrupt', data: { fresh: '1' } });
        expect(r.sid).not.toBe(before.sid);
        expect(ctx.inst.counts.destroy).toBe(0);
        const e = ctx.events.find((x) => x.name === 'error');
        expect(e?.name === 'error' && (e.e.error as SessionError).code).toBe('ERR_CORRUPT_RECORD');
        expect(e?.name === 'error' && e.e.sidHint).toBe(before.sid.slice(0, 4) + '…');
      });

      it('a save the store could not take answers 503 (as a restore that hit the outage), is reported, and leaves the stored data as it was', async () => {
        const ctx = await setup();
        const c = await established(ctx);
        ctx.inst.fail.setValue = () => new StoreUnavailableError('write failed');
        const r = await c.get('/set?k=changed');
        expect(r.status).toBe(503);
        expect(r.body).toBe('Service Unavailable\n');
        expect(r.headers['cache-control']).toBe('no-store');
        const e = ctx.events.find((x) => x.name === 'error');
        expect(e?.name === 'error' && e.e.operation).toBe('save');
        delete ctx.inst.fail.setValue;
        expect(state(await c.get('/state')).data).toEqual({ k: 'v' });
      });

      it('a failed first save of a new session answers 503 without a session cookie', async () => {
        const ctx = await setup();
        ctx.inst.fail.new = () => new StoreUnavailableError('write failed');
        const r = await ctx.client().get('/app-cookies');
        expect(r.status).toBe(503);
        expect(cookiesNamed(r, 'sid')).toEqual([]);
        expect(cookieNamed(r, 'theme')?.value).toBe('dark');
      });

      it('a duplicate ID is retried with a fresh one, up to 3 attempts', async () => {
        const ctx = await setup();
        ctx.inst.fail.new = (n) => (n <= 2 ? new DuplicateIdError() : undefined);
        const c = ctx.client();
        const r = await c.get('/set?k=v');
        expect(r.status).toBe(200);
        expect(ctx.inst.counts.new).toBe(3);
        const created = json<StateBody>(r);
        // The retries changed the ID before the cookie went out: the client has the final one.
        const restored = state(await c.get('/state'));
        expect(restored).toMatchObject({ isNew: false, data: { k: 'v' } });
        expect(restored.sid).not.toBe(created.sid);
        expect(cookiesNamed(r, 'sid')).toHaveLength(1);

        ctx.inst.reset();
        ctx.inst.fail.new = () => new DuplicateIdError();
        const r2 = await ctx.client().get('/set?k=v');
        expect(r2.status).toBe(500);
        expect(ctx.inst.counts.new).toBe(3);
      });

      it('no error listener: failures still never crash the server', async () => {
        const fx = await fixture();
        const inst = instrument(fx.provider);
        const session = new Session(inst.provider, { cookieSecret: SECRET, backend });
        const server = await listen(testApp(session));
        cleanups.push(() => server.close());
        const warnings: Error[] = [];
        const onWarning = (w: Error): void => void warnings.push(w);
        process.on('warning', onWarning);
        try {
          inst.fail.new = () => new StoreUnavailableError('down');
          const c = new Client(server.url);
          expect((await c.get('/set?k=v')).status).toBe(503);
          expect((await c.get('/set?k=v')).status).toBe(503);
          await sleep(20);
          expect(warnings.filter((w) => (w as { code?: string }).code === 'WASM_SESSION_ERROR')).toHaveLength(1);
        } finally {
          process.off('warning', onWarning);
        }
      });
    });

    it(`${options.clients ?? 20} concurrent clients × ${options.requestsPerClient ?? 20} requests: each sees only its own data`, async () => {
      const ctx = await setup();
      const clients = options.clients ?? 20;
      const perClient = options.requestsPerClient ?? 20;
      let failures = 0;
      const sids = new Set<string>();
      await Promise.all(
        Array.from({ length: clients }, async (_, i) => {
          const c = ctx.client();
          const first = state(await c.get(`/set?owner=${i}`));
          sids.add(first.sid);
          for (let n = 1; n < perClient; n++) {
            const r = await c.get('/incr?k=n');
            const s = r.status === 200 ? json<StateBody>(r) : undefined;
            if (!s || s.sid !== first.sid || s.data.owner !== String(i) || s.data.n !== n) failures++;
          }
        }),
      );
      expect(failures).toBe(0);
      expect(sids.size).toBe(clients);
      // Generous: a loaded 2-core machine (two suites at once) must pass too.
    }, Math.max(60_000, (options.clients ?? 20) * (options.requestsPerClient ?? 20) * 20));
  });
}
