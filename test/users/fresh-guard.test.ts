/**
 * The step-up guard `requireFresh(maxAge)` of every adapter, over real HTTP:
 * fresh after login, 403 ERR_REAUTH_REQUIRED once the clock has moved past
 * maxAge (an injected clock: fake Date only), fresh again after
 * `reauthenticated`; `onStale` replaces the 403.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import express, { type Request, type Response } from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import Koa from 'koa';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { expressSession, requireFresh as expressFresh } from '../../src/adapters/express.js';
import { fastifySession, requireFresh as fastifyFresh } from '../../src/adapters/fastify.js';
import { honoSession, requireFresh as honoFresh, type HonoSessionEnv } from '../../src/adapters/hono.js';
import { koaSession, requireFresh as koaFresh } from '../../src/adapters/koa.js';
import { requireFresh as webFresh, startWeb } from '../../src/adapters/web.js';
import { Session } from '../../src/session/session.js';
import { MemoryProvider } from '../../src/providers/memory/provider.js';
import { Client, json } from '../helpers/http.js';
import { SECRET } from './suite.js';

const newSession = (): Session => new Session(new MemoryProvider(), { cookieSecret: SECRET, backend: 'node' });
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  while (closers.length) await closers.pop()!();
});

async function onServer(server: Server): Promise<string> {
  if (!server.listening) await new Promise((r) => server.once('listening', r));
  closers.push(() => new Promise((r) => server.close(() => r())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

type App = (opts: { stale?: boolean }) => Promise<string>;

const apps: Record<string, App> = {
  express: async ({ stale }) => {
    const app = express();
    app.use(expressSession(newSession()));
    app.get('/login', async (req: Request, res: Response) => {
      await req.session.login('u1');
      res.json({ ok: true });
    });
    app.get('/reauth', async (req: Request, res: Response) => {
      await req.session.reauthenticated();
      res.json({ ok: true });
    });
    app.get('/sudo', expressFresh(300, stale ? { onStale: (_q, res) => res.writeHead(302, { location: '/confirm' }).end() } : {}), (_q: Request, res: Response) => {
      res.json({ ok: true });
    });
    return onServer(app.listen(0, '127.0.0.1'));
  },
  koa: async ({ stale }) => {
    const app = new Koa();
    app.use(koaSession(newSession()));
    const guard = koaFresh(300, stale ? { onStale: async (ctx) => ctx.redirect('/confirm') } : {});
    app.use(async (ctx, next) => {
      if (ctx.path === '/login') {
        await ctx.session.login('u1');
        ctx.body = { ok: true };
      } else if (ctx.path === '/reauth') {
        await ctx.session.reauthenticated();
        ctx.body = { ok: true };
      } else if (ctx.path === '/sudo') {
        await guard(ctx, async () => {
          ctx.body = { ok: true };
        });
      } else await next();
    });
    return onServer(app.listen(0, '127.0.0.1'));
  },
  fastify: async ({ stale }) => {
    const app = Fastify();
    await app.register(fastifySession, { session: newSession() });
    app.get('/login', async (request) => {
      await request.session.login('u1');
      return { ok: true };
    });
    app.get('/reauth', async (request) => {
      await request.session.reauthenticated();
      return { ok: true };
    });
    app.get('/sudo', { preHandler: fastifyFresh(300, stale ? { onStale: async (_r, reply) => reply.redirect('/confirm') } : {}) }, async () => ({ ok: true }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    closers.push(() => app.close());
    return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  },
  hono: async ({ stale }) => {
    const app = new Hono<HonoSessionEnv>();
    app.use(honoSession(newSession()));
    app.get('/login', async (c) => {
      await c.get('session').login('u1');
      return c.json({ ok: true });
    });
    app.get('/reauth', async (c) => {
      await c.get('session').reauthenticated();
      return c.json({ ok: true });
    });
    app.get('/sudo', honoFresh(300, stale ? { onStale: async (c) => c.redirect('/confirm') } : {}), (c) => c.json({ ok: true }));
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
    return onServer(server);
  },
  web: async ({ stale }) => {
    const session = newSession();
    // A Web-standard handler (Request → Response) behind node:http.
    const handler = async (request: globalThis.Request): Promise<globalThis.Response> => {
      const s = await startWeb(session, request);
      const path = new URL(request.url).pathname;
      if (path === '/login') await s.login('u1');
      if (path === '/reauth') await s.reauthenticated();
      if (path === '/sudo') {
        const denied = webFresh(s, 300);
        if (denied !== null) return s.commit(stale ? new Response(null, { status: 302, headers: { location: '/confirm' } }) : denied);
      }
      return s.commit(Response.json({ ok: true }));
    };
    const server = serve({ fetch: handler, port: 0, hostname: '127.0.0.1' }) as Server;
    return onServer(server);
  },
};

describe('requireFresh on every adapter', () => {
  for (const [name, make] of Object.entries(apps)) {
    it(`${name}: 403 ERR_REAUTH_REQUIRED when stale (and when not logged in), fresh after login and after reauthenticated`, async () => {
      const url = await make({});
      const c = new Client(url);
      const anon = await c.get('/sudo');
      expect(anon.status).toBe(403);
      expect(json<{ error: string }>(anon).error).toBe('ERR_REAUTH_REQUIRED');
      const t0 = Date.now();
      vi.useFakeTimers({ toFake: ['Date'], now: t0 });
      expect((await c.get('/login')).status).toBe(200);
      expect((await c.get('/sudo')).status).toBe(200);
      vi.setSystemTime(t0 + 301_000);
      const stale = await c.get('/sudo');
      expect(stale.status).toBe(403);
      expect(json<{ error: string; maxAge: number }>(stale)).toMatchObject({ error: 'ERR_REAUTH_REQUIRED', maxAge: 300 });
      expect(stale.headers['cache-control']).toBe('no-store');
      expect((await c.get('/reauth')).status).toBe(200);
      expect((await c.get('/sudo')).status).toBe(200);
    });

    it(`${name}: onStale answers instead of the 403`, async () => {
      const url = await make({ stale: true });
      const c = new Client(url);
      const r = await c.get('/sudo');
      expect(r.status).toBe(302);
      expect(String(r.headers.location)).toMatch(/\/confirm$/);
    });
  }
});
