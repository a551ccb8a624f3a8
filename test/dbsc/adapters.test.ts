/**
 * DBSC through every adapter: the endpoints mounted the framework's way
 * (Express and Koa middleware, a hijacked Fastify route, Hono's `dbsc.fetch`),
 * driven by the spec-written agent: register, bound request, stolen cookie,
 * refresh with a 403 round, logout → continue:false.
 */
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import Koa from 'koa';
import { describe, expect, it } from 'vitest';
import { expressSession } from '../../src/adapters/express.js';
import { fastifySession } from '../../src/adapters/fastify.js';
import { honoSession, type HonoSessionEnv } from '../../src/adapters/hono.js';
import { koaSession } from '../../src/adapters/koa.js';
import type { RequestSession } from '../../src/adapters/request-session.js';
import { Dbsc } from '../../src/dbsc/index.js';
import { Session } from '../../src/session/session.js';
import { MemoryProvider } from '../../src/providers/memory/provider.js';
import { Client } from '../helpers/http.js';
import { running, type RunningApp } from '../adapters/suite.js';
import { DbscAgent } from './client.js';

const SECRET = 'dbsc-adapters-secret-0123456789-abcdefghij';

function fresh(): { session: Session; dbsc: Dbsc } {
  const session = new Session(new MemoryProvider(), { cookieSecret: SECRET, backend: 'node' });
  return { session, dbsc: new Dbsc(session) };
}

/** 200 "alice" for a logged-in session that is not unbound, else 401. */
function me(s: RequestSession): [number, string] {
  const user = s.userId();
  return user === null || s.reason === 'unbound' ? [401, 'no'] : [200, user];
}

const APPS: Record<string, () => Promise<RunningApp>> = {
  async express() {
    const { session, dbsc } = fresh();
    const app = express();
    app.use(expressSession(session));
    app.use(dbsc.express());
    app.post('/login', async (req, res) => {
      await req.session.login('alice');
      res.setHeader('Secure-Session-Registration', await dbsc.registration(req.session));
      res.send('ok');
    });
    app.get('/me', (req, res) => {
      const [status, body] = me(req.session);
      res.status(status).send(body);
    });
    app.post('/logout', async (req, res) => {
      await dbsc.logout(req, res);
      res.send('bye');
    });
    return running(app.listen(0, '127.0.0.1'));
  },
  async koa() {
    const { session, dbsc } = fresh();
    const app = new Koa();
    app.use(koaSession(session));
    app.use(dbsc.koa());
    app.use(async (ctx) => {
      if (ctx.method === 'POST' && ctx.path === '/login') {
        await ctx.session.login('alice');
        ctx.set('Secure-Session-Registration', await dbsc.registration(ctx.session));
        ctx.body = 'ok';
      } else if (ctx.path === '/me') {
        [ctx.status, ctx.body] = me(ctx.session);
      } else if (ctx.method === 'POST' && ctx.path === '/logout') {
        await dbsc.logout(ctx.req, ctx.res);
        ctx.body = 'bye';
      }
    });
    return running(app.listen(0, '127.0.0.1'));
  },
  async fastify() {
    const { session, dbsc } = fresh();
    const app = Fastify();
    await app.register(fastifySession, { session });
    for (const path of [dbsc.registrationPath, dbsc.refreshPath]) {
      app.post(path, async (request, reply) => {
        reply.hijack();
        await dbsc.handle(request.raw, reply.raw);
      });
    }
    app.post('/login', async (request, reply) => {
      await request.session.login('alice');
      reply.header('Secure-Session-Registration', await dbsc.registration(request.session));
      return 'ok';
    });
    app.get('/me', async (request, reply) => {
      const [status, body] = me(request.session);
      return reply.code(status).send(body);
    });
    app.post('/logout', async (request, reply) => {
      await dbsc.logout(request.raw, reply.raw);
      return 'bye';
    });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    return { url, close: () => app.close() };
  },
  async hono() {
    const { session, dbsc } = fresh();
    const app = new Hono<HonoSessionEnv>();
    app.post('/dbsc/*', async (c) => (await dbsc.fetch(c.req.raw)) ?? c.notFound());
    app.use(honoSession(session));
    app.post('/login', async (c) => {
      await c.get('session').login('alice');
      c.header('Secure-Session-Registration', await dbsc.registration(c.get('session')));
      return c.text('ok');
    });
    app.get('/me', (c) => {
      const [status, body] = me(c.get('session'));
      return c.text(body, status as 200 | 401);
    });
    app.post('/logout', async (c) => {
      await c.get('session').logout();
      c.header('Set-Cookie', `dbsc_bound=; Max-Age=0; ${dbsc.cookieAttributes}`, { append: true });
      return c.text('bye');
    });
    return running(serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server);
  },
};

for (const [name, make] of Object.entries(APPS)) {
  describe(`dbsc through ${name}`, () => {
    it('register, bound request, stolen cookie refused, refresh with a 403 round, logout ends the session', async () => {
      const app = await make();
      try {
        const agent = new DbscAgent(app.url);
        const login = await agent.http.request('/login', { method: 'POST' });
        expect(login.status).toBe(200);
        const reg = await agent.register(login);
        expect(reg.status, reg.body).toBe(200);
        expect(await agent.http.cookie('dbsc_bound')).toBeDefined();
        expect((await agent.http.get('/me')).body).toBe('alice');

        const thief = new Client(app.url);
        await thief.setCookie('sid', (await agent.http.cookie('sid'))!);
        expect((await thief.get('/me')).status).toBe(401);

        expect((await agent.refreshOnce({ challenge: null })).status).toBe(403);
        const ok = await agent.refreshOnce();
        expect(ok.status, ok.body).toBe(200);
        expect((await agent.http.get('/me')).body).toBe('alice');

        expect((await agent.http.request('/logout', { method: 'POST' })).status).toBe(200);
        const end = await agent.refreshOnce();
        expect(end.status).toBe(200);
        expect(JSON.parse(end.body)).toEqual({ continue: false });
      } finally {
        await app.close();
      }
    });
  });
}
