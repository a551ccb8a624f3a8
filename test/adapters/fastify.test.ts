import Fastify, { type FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { fastifySession } from '../../src/adapters/fastify.js';
import { Session } from '../../src/session/session.js';
import { MemoryProvider } from '../../src/providers/memory/provider.js';
import { CookieProvider } from '../../src/providers/cookie/provider.js';
import type { SessionError } from '../../src/errors.js';
import { Client, cookiesNamed, json } from '../helpers/http.js';
import { OPS, runOp, type Remembered } from './logic.js';
import { adapterSuite, failingProvider, SECRET, type RunningApp } from './suite.js';

async function serve(app: FastifyInstance): Promise<RunningApp> {
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, close: () => app.close() };
}

async function makeApp(session: Session, remembered: Remembered): Promise<RunningApp> {
  const app = Fastify();
  await app.register(fastifySession, { session });
  // Routes in an encapsulated child context: the (fastify-plugin) decoration reaches them.
  await app.register(async (child) => {
    for (const op of OPS) {
      child.route({
        method: op === 'login' || op === 'logout' ? 'POST' : 'GET',
        url: `/${op}`,
        handler: async (request, reply) => {
          if (op === 'own') reply.header('set-cookie', 'theme=dark; Path=/');
          const q = new URL(request.url, 'http://x').searchParams;
          // `request.session` is typed by the adapter's declaration merging: no cast.
          return runOp(op, request.session, q, remembered);
        },
      });
    }
  });
  return serve(app);
}

adapterSuite('fastify', makeApp);
adapterSuite('fastify', makeApp, 'cookie');

describe('fastify specifics', () => {
  it('a failing save becomes an error reply, without a cookie for the unsaved session', async () => {
    const session = new Session(failingProvider('new'), { cookieSecret: SECRET, backend: 'js' });
    const errors: string[] = [];
    session.on('error', (e) => errors.push(`${e.operation}:${(e.error as SessionError).code}`));
    const app = Fastify();
    await app.register(fastifySession, { session });
    app.get('/n', async (request, reply) => {
      request.session.getValue().set('n', 1);
      reply.header('set-cookie', 'theme=dark; Path=/');
      return { ok: true };
    });
    const running = await serve(app);
    try {
      const res = await new Client(running.url).get('/n');
      // StoreUnavailableError's statusCode: Fastify's error handler answers 503.
      expect(res.status).toBe(503);
      expect(json<{ code?: string }>(res).code).toBe('ERR_STORE_UNAVAILABLE');
      expect(cookiesNamed(res, 'sid')).toHaveLength(0);
      // Saved once, not again for the error reply.
      expect(errors).toEqual(['new:ERR_STORE_UNAVAILABLE']);
    } finally {
      await running.close();
      session.dispose();
    }
  });

  it('keeps the app\'s Set-Cookie lines beside ours, set through reply.header or on reply.raw, on every save path', async () => {
    for (const provider of [new MemoryProvider(), new CookieProvider()]) {
      const session = new Session(provider, { cookieSecret: SECRET, backend: 'js' });
      const app = Fastify();
      await app.register(fastifySession, { session });
      app.get('/:how', async (request, reply) => {
        const how = (request.params as { how: string }).how;
        if (how === 'raw') reply.raw.setHeader('set-cookie', ['a=1; Path=/', 'b=2; Path=/']);
        if (how === 'reply') reply.header('set-cookie', 'a=1; Path=/').header('set-cookie', 'b=2; Path=/');
        const v = request.session.getValue();
        v.set('n', v.int('n') + 1);
        return { n: v.int('n') };
      });
      const running = await serve(app);
      try {
        const c = new Client(running.url);
        let first = true;
        for (const how of ['raw', 'reply', 'raw', 'reply']) {
          const res = await c.get(`/${how}`);
          expect(res.status, res.body).toBe(200);
          const names = res.setCookies.map((l) => l.slice(0, l.indexOf('=')));
          expect(names.filter((n) => n === 'a' || n === 'b'), how).toEqual(['a', 'b']);
          // Ours: the ID cookie on the first request (and, for CookieProvider, the value cookie on every one).
          const ours = names.filter((n) => n.startsWith('sid'));
          expect(ours, how).toEqual(first ? (provider instanceof CookieProvider ? ['sid.data', 'sid'] : ['sid']) : provider instanceof CookieProvider ? ['sid.data'] : []);
          first = false;
        }
        expect(json<{ n: number }>(await c.get('/none')).n).toBe(5);
      } finally {
        await running.close();
        session.dispose();
      }
    }
  });

  it('a reply sent with a stream still gets the cookie, saved before it goes out', async () => {
    const { Readable } = await import('node:stream');
    const session = new Session(new MemoryProvider(), { cookieSecret: SECRET, backend: 'js' });
    const app = Fastify();
    await app.register(fastifySession, { session });
    app.get('/s', async (request, reply) => {
      const v = request.session.getValue();
      v.set('n', v.int('n') + 1);
      reply.type('text/plain');
      return reply.send(Readable.from([`n=${v.int('n')}`]));
    });
    const running = await serve(app);
    try {
      const c = new Client(running.url);
      expect((await c.get('/s')).body).toBe('n=1');
      expect((await c.get('/s')).body).toBe('n=2');
    } finally {
      await running.close();
      session.dispose();
    }
  });
});
