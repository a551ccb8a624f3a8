import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { setCookie } from 'hono/cookie';
import { describe, expect, it } from 'vitest';
import { honoSession, type HonoSessionEnv } from '../../src/adapters/hono.js';
import { Session } from '../../src/session/session.js';
import { MemoryProvider } from '../../src/providers/memory/provider.js';
import { Client, cookieNamed, cookiesNamed } from '../helpers/http.js';
import { OPS, runOp, type Remembered } from './logic.js';
import { adapterSuite, running, SECRET, type RunningApp } from './suite.js';

function serveHono(app: Hono<HonoSessionEnv>): Promise<RunningApp> {
  return running(serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as import('node:http').Server);
}

function makeApp(session: Session, remembered: Remembered): Promise<RunningApp> {
  const app = new Hono<HonoSessionEnv>();
  app.onError((err, c) => c.json({ error: (err as { code?: string }).code ?? 'unknown' }, 500));
  app.use(honoSession(session));
  for (const op of OPS) {
    const handler = async (c: import('hono').Context<HonoSessionEnv>): Promise<Response> => {
      if (op === 'own') setCookie(c, 'theme', 'dark', { path: '/' });
      return c.json(await runOp(op, c.get('session'), new URL(c.req.url).searchParams, remembered));
    };
    if (op === 'login' || op === 'logout') app.post(`/${op}`, handler);
    else app.get(`/${op}`, handler);
  }
  return serveHono(app);
}

adapterSuite('hono', makeApp);
adapterSuite('hono', makeApp, 'cookie');

describe('hono / web specifics', () => {
  it('a Response with immutable headers (Response.redirect) is copied, and carries the cookie', async () => {
    const session = new Session(new MemoryProvider(), { cookieSecret: SECRET, backend: 'js' });
    const app = new Hono<HonoSessionEnv>();
    app.use(honoSession(session));
    app.post('/go', (c) => {
      c.get('session').getValue().set('went', true);
      return Response.redirect(new URL('/there', c.req.url), 303);
    });
    app.get('/there', (c) => c.json({ went: c.get('session').getValue().bool('went') }));
    const running = await serveHono(app);
    try {
      const c = new Client(running.url);
      const res = await c.request('/go', { method: 'POST' });
      expect(res.status).toBe(303);
      expect(cookieNamed(res, 'sid')?.httpOnly).toBe(true);
      expect(JSON.parse((await c.get('/there')).body)).toEqual({ went: true });
    } finally {
      await running.close();
      session.dispose();
    }
  });

  it('startWeb/commit with plain Request/Response: lazy, restore, headers appended', async () => {
    const { startWeb } = await import('../../src/adapters/web.js');
    const session = new Session(new MemoryProvider(), { cookieSecret: SECRET, backend: 'js' });
    try {
      const untouched = await startWeb(session, new Request('http://x/'));
      const plain = await untouched.commit(new Response('ok'));
      expect(plain.headers.getSetCookie()).toEqual([]);

      const first = await startWeb(session, new Request('http://x/'));
      first.getValue().set('n', 1);
      const app = new Response('ok', { headers: [['set-cookie', 'theme=dark']] });
      const out = await first.commit(app);
      expect(out).toBe(app);
      const lines = out.headers.getSetCookie();
      expect(lines[0]).toBe('theme=dark');
      expect(lines).toHaveLength(2);
      const token = /^sid=([^;]+)/.exec(lines[1] ?? '')?.[1];
      // After commit, a new cookie cannot reach the client any more.
      await expect(first.refresh()).rejects.toMatchObject({ code: 'ERR_HEADERS_SENT' });

      const again = await startWeb(session, new Request('http://x/', { headers: { cookie: `a=b; sid=${token}` } }));
      expect(again.isNew()).toBe(false);
      expect(again.getValue().int('n')).toBe(1);
      await again.destroy();
      const gone = (await again.commit(new Response(null))).headers.getSetCookie();
      expect(gone).toHaveLength(1);
      expect(gone[0]).toMatch(/^sid=;.*Max-Age=0/);
      expect(cookiesNamed({ status: 200, headers: {}, setCookies: gone, body: '' }, 'sid')[0]?.value).toBe('');
    } finally {
      session.dispose();
    }
  });

  it('mounted twice (app and route), one session and one cookie; startWeb twice on a request shares it', async () => {
    const { startWeb } = await import('../../src/adapters/web.js');
    const session = new Session(new MemoryProvider(), { cookieSecret: SECRET, backend: 'js' });
    const app = new Hono<HonoSessionEnv>();
    app.use(honoSession(session));
    app.get('/n', honoSession(session), (c) => {
      const v = c.get('session').getValue();
      v.set('n', v.int('n') + 1);
      return c.json({ n: v.int('n') });
    });
    const running = await serveHono(app);
    try {
      const c = new Client(running.url);
      const first = await c.get('/n');
      expect(cookiesNamed(first, 'sid')).toHaveLength(1);
      expect(JSON.parse((await c.get('/n')).body)).toEqual({ n: 2 });
      const request = new Request('http://x/');
      expect(await startWeb(session, request)).toBe(await startWeb(session, request));
    } finally {
      await running.close();
      session.dispose();
    }
  });
});
