/**
 * The cross-site request guard over real HTTP, for every adapter (node:http,
 * Express, Fastify, Koa, Hono), for each combination of Sec-Fetch-Site,
 * Origin and token; plus the guard's configuration errors.
 */
import { createServer, type Server } from 'node:http';
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expressSession } from '../../src/adapters/express.js';
import { fastifySession } from '../../src/adapters/fastify.js';
import { honoSession, type HonoSessionEnv } from '../../src/adapters/hono.js';
import { koaSession } from '../../src/adapters/koa.js';
import { CsrfGuard, expressCsrf, fastifyCsrf, honoCsrf, koaCsrf, nodeCsrf, verifyCsrfToken, type CsrfOptions } from '../../src/csrf/index.js';
import { Session } from '../../src/session/session.js';
import { MemoryProvider } from '../../src/providers/memory/provider.js';
import { rawRequest, type TestResponse } from '../helpers/http.js';
import { running, type RunningApp } from '../adapters/suite.js';

const SECRET = 'csrf-suite-secret-0123456789-abcdefghijklmn';
const OPTIONS: CsrfOptions = { trustedOrigins: ['https://partner.example'], bypass: ['/hook', /^\/api\/public\//] };

/** Each app: GET /token → the session's token; POST /change, /hook, /api/public/x → "ok". */
type Make = (options: CsrfOptions) => Promise<RunningApp>;

const newSession = (): Session => new Session(new MemoryProvider(), { cookieSecret: SECRET, backend: 'node' });

const APPS: Record<string, Make> = {
  async node(options) {
    const session = newSession();
    const guard = nodeCsrf(options);
    const server: Server = createServer((req, res) => {
      void (async () => {
        const store = await session.start(req, res);
        if (req.method === 'GET' && req.url === '/token') return res.end(store.csrfToken());
        if (guard(req, res, store)) return;
        res.end('ok');
      })();
    }).listen(0, '127.0.0.1');
    return running(server);
  },
  async express(options) {
    const app = express();
    app.use(expressSession(newSession()));
    app.use(express.urlencoded({ extended: false }));
    app.use(expressCsrf(options));
    app.get('/token', (req, res) => void res.send(req.session.csrfToken()));
    app.post(/.*/, (_req, res) => void res.send('ok'));
    return running(app.listen(0, '127.0.0.1'));
  },
  async fastify(options) {
    const app = Fastify();
    await app.register(fastifySession, { session: newSession() });
    app.addHook('preHandler', fastifyCsrf(options));
    app.get('/token', async (request) => request.session.csrfToken());
    app.post('/*', async () => 'ok');
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    return { url, close: () => app.close() };
  },
  async koa(options) {
    const app = new Koa();
    app.use(koaSession(newSession()));
    app.use(koaCsrf(options));
    app.use((ctx) => {
      ctx.body = ctx.method === 'GET' && ctx.path === '/token' ? ctx.session.csrfToken() : 'ok';
    });
    return running(app.listen(0, '127.0.0.1'));
  },
  async hono(options) {
    const app = new Hono<HonoSessionEnv>();
    app.use(honoSession(newSession()));
    app.use(honoCsrf(options));
    app.get('/token', (c) => c.text(c.get('session').csrfToken()));
    app.post('*', (c) => c.text('ok'));
    return running(serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server);
  },
};

function post(app: RunningApp, path: string, headers: Record<string, string>): Promise<TestResponse> {
  return rawRequest(app.url, path, { method: 'POST', headers: { 'content-type': 'text/plain', ...headers }, body: 'x' });
}

function reason(r: TestResponse): string | null {
  if (r.status === 200) return null;
  expect(r.status).toBe(403);
  const body = JSON.parse(r.body) as { error: string; reason: string };
  expect(body.error).toBe('ERR_CSRF_REJECTED');
  return body.reason;
}

for (const [name, make] of Object.entries(APPS)) {
  describe(`csrf guard: ${name}`, () => {
    let app: RunningApp;
    let strict: RunningApp;
    beforeAll(async () => {
      app = await make(OPTIONS);
      strict = await make({ ...OPTIONS, tokenless: 'require-token', allowSameSite: true });
    });
    afterAll(async () => {
      await app.close();
      await strict.close();
    });

    const host = (a: RunningApp): string => new URL(a.url).host;

    it('Sec-Fetch-Site: same-origin and none pass; cross-site and same-site are refused', async () => {
      expect(reason(await post(app, '/change', { 'sec-fetch-site': 'same-origin' }))).toBeNull();
      expect(reason(await post(app, '/change', { 'sec-fetch-site': 'none' }))).toBeNull();
      expect(reason(await post(app, '/change', { 'sec-fetch-site': 'cross-site' }))).toBe('cross-site');
      expect(reason(await post(app, '/change', { 'sec-fetch-site': 'same-site' }))).toBe('same-site');
      // Fetch Metadata wins over a matching Origin
      expect(reason(await post(app, '/change', { 'sec-fetch-site': 'cross-site', origin: `http://${host(app)}` }))).toBe('cross-site');
      // a value no browser sends
      expect(reason(await post(app, '/change', { 'sec-fetch-site': 'bogus' }))).toBe('cross-site');
    });

    it('safe methods pass whatever the headers say', async () => {
      for (const method of ['GET', 'HEAD', 'OPTIONS']) {
        const r = await rawRequest(app.url, '/token', { method, headers: { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' } });
        expect(r.status).not.toBe(403);
      }
    });

    it('without Fetch Metadata: Origin against Host', async () => {
      expect(reason(await post(app, '/change', { origin: `http://${host(app)}` }))).toBeNull();
      expect(reason(await post(app, '/change', { origin: 'https://evil.example' }))).toBe('cross-origin');
      expect(reason(await post(app, '/change', { origin: 'null' }))).toBe('cross-origin');
      expect(reason(await post(app, '/change', { origin: 'not a url' }))).toBe('cross-origin');
    });

    it('neither header (not a browser) passes by default', async () => {
      expect(reason(await post(app, '/change', {}))).toBeNull();
      for (const method of ['PUT', 'PATCH', 'DELETE']) {
        const r = await rawRequest(app.url, '/change', { method, headers: { 'sec-fetch-site': 'cross-site' } });
        expect(r.status, `${method} cross-site`).toBe(403);
      }
    });

    it('trusted origins and bypass paths pass cross-site', async () => {
      expect(reason(await post(app, '/change', { 'sec-fetch-site': 'cross-site', origin: 'https://partner.example' }))).toBeNull();
      expect(reason(await post(app, '/change', { 'sec-fetch-site': 'cross-site', origin: 'https://partner.example.evil' }))).toBe('cross-site');
      expect(reason(await post(app, '/hook', { 'sec-fetch-site': 'cross-site' }))).toBeNull();
      expect(reason(await post(app, '/hook?x=1', { 'sec-fetch-site': 'cross-site' }))).toBeNull();
      expect(reason(await post(app, '/api/public/ping', { 'sec-fetch-site': 'cross-site' }))).toBeNull();
      expect(reason(await post(app, '/hooks', { 'sec-fetch-site': 'cross-site' }))).toBe('cross-site');
    });

    it("tokenless: 'require-token': header-less requests need the session's token; allowSameSite lets same-site through", async () => {
      expect(reason(await post(strict, '/change', { 'sec-fetch-site': 'same-site' }))).toBeNull();
      expect(reason(await post(strict, '/change', {}))).toBe('no-token');
      const t = await rawRequest(strict.url, '/token');
      const token = t.body;
      expect(token).toMatch(/^[A-Za-z0-9_-]{22}$/);
      const cookie = t.setCookies.map((l) => l.split(';')[0]).join('; ');
      // the same token on the next request (kept in the session)
      expect((await rawRequest(strict.url, '/token', { headers: { cookie } })).body).toBe(token);
      expect(reason(await post(strict, '/change', { cookie, 'x-csrf-token': token }))).toBeNull();
      expect(reason(await post(strict, '/change', { cookie, 'x-csrf-token': token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A') }))).toBe('bad-token');
      expect(reason(await post(strict, '/change', { cookie, 'x-csrf-token': token + 'x' }))).toBe('bad-token');
      // another session's token, or a token without a session
      expect(reason(await post(strict, '/change', { 'x-csrf-token': token }))).toBe('bad-token');
      // browsers still pass on their headers alone
      expect(reason(await post(strict, '/change', { 'sec-fetch-site': 'same-origin' }))).toBeNull();
    });
  });
}

describe('csrf guard: forms and configuration', () => {
  it('Express: the token in a parsed form field', async () => {
    const app = await APPS.express!({ tokenless: 'require-token' });
    try {
      const t = await rawRequest(app.url, '/token');
      const cookie = t.setCookies.map((l) => l.split(';')[0]).join('; ');
      const form = (v: string): Promise<TestResponse> =>
        rawRequest(app.url, '/change', { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: `_csrf=${encodeURIComponent(v)}` });
      expect((await form(t.body)).status).toBe(200);
      expect((await form('nope')).status).toBe(403);
    } finally {
      await app.close();
    }
  });

  it('bad options are InvalidConfigError', () => {
    const code = (o: unknown): string | undefined => {
      try {
        new CsrfGuard(o as CsrfOptions);
      } catch (e) {
        return (e as { code?: string }).code;
      }
      return undefined;
    };
    expect(code({ trustedOrigins: ['partner.example'] })).toBe('ERR_INVALID_CONFIG');
    expect(code({ trustedOrigins: ['https://partner.example/path'] })).toBe('ERR_INVALID_CONFIG');
    expect(code({ bypass: ['hook'] })).toBe('ERR_INVALID_CONFIG');
    expect(code({ tokenless: 'maybe' })).toBe('ERR_INVALID_CONFIG');
    expect(code({ trustedOrigins: ['https://partner.example'] })).toBeUndefined();
  });

  it('verifyCsrfToken compares with the stored token; a session without one verifies nothing', async () => {
    const session = newSession();
    const res = { getHeader: () => undefined, setHeader: () => undefined };
    const store = await session.start({ headers: {} }, res);
    expect(verifyCsrfToken(store, 'x')).toBe(false);
    const token = store.csrfToken();
    expect(verifyCsrfToken(store, token)).toBe(true);
    expect(verifyCsrfToken(store, token.toUpperCase() === token ? token.toLowerCase() : token.toUpperCase())).toBe(false);
    expect(verifyCsrfToken(store, undefined)).toBe(false);
  });

  it('onRejected hears each refusal with its typed error', () => {
    const seen: string[] = [];
    const guard = new CsrfGuard({ onRejected: (e) => seen.push(`${e.code}:${e.reason}:${e.status}`) });
    const input = { method: 'POST', path: '/', host: 'a.example', origin: undefined, token: undefined, sessionToken: () => undefined };
    expect(guard.check({ ...input, secFetchSite: 'cross-site' })?.reason).toBe('cross-site');
    expect(guard.check({ ...input, secFetchSite: 'same-origin' })).toBeNull();
    expect(seen).toEqual(['ERR_CSRF_REJECTED:cross-site:403']);
  });
});
