import Koa from 'koa';
import { describe, expect, it } from 'vitest';
import { koaSession } from '../../src/adapters/koa.js';
import { Session } from '../../src/session/session.js';
import { MemoryProvider } from '../../src/providers/memory/provider.js';
import { Client, cookiesNamed } from '../helpers/http.js';
import { OPS, runOp, type Op, type Remembered } from './logic.js';
import { adapterSuite, failingProvider, running, SECRET, type RunningApp } from './suite.js';

function serve(app: Koa): Promise<RunningApp> {
  return running(app.listen(0, '127.0.0.1'));
}

function makeApp(session: Session, remembered: Remembered): Promise<RunningApp> {
  const app = new Koa();
  app.silent = true;
  app.use(koaSession(session));
  app.use(async (ctx) => {
    const op = ctx.path.slice(1) as Op;
    const post = op === 'login' || op === 'logout';
    if (!OPS.includes(op) || ctx.method !== (post ? 'POST' : 'GET')) ctx.throw(404);
    if (op === 'own') ctx.cookies.set('theme', 'dark', { httpOnly: false });
    // `ctx.session` is typed by the adapter's declaration merging.
    ctx.body = await runOp(op, ctx.session, new URLSearchParams(ctx.querystring), remembered);
  });
  return serve(app);
}

adapterSuite('koa', makeApp);
adapterSuite('koa', makeApp, 'cookie');

describe('koa specifics', () => {
  it("a failing save goes through Koa's error handling (app 'error' event, error response)", async () => {
    const session = new Session(failingProvider('new'), { cookieSecret: SECRET, backend: 'js' });
    const app = new Koa();
    const appErrors: string[] = [];
    app.on('error', (err: { code?: string }) => appErrors.push(err.code ?? '?'));
    app.use(koaSession(session));
    app.use((ctx) => {
      ctx.session.getValue().set('n', 1);
      ctx.body = { ok: true };
    });
    const running = await serve(app);
    try {
      const res = await new Client(running.url).get('/');
      // StoreUnavailableError's status: Koa answers 503.
      expect(res.status).toBe(503);
      expect(cookiesNamed(res, 'sid')).toHaveLength(0);
      expect(appErrors).toEqual(['ERR_STORE_UNAVAILABLE']);
    } finally {
      await running.close();
      session.dispose();
    }
  });

  it('a streamed body still carries the cookie and the value is saved', async () => {
    const { Readable } = await import('node:stream');
    const session = new Session(new MemoryProvider(), { cookieSecret: SECRET, backend: 'js' });
    const app = new Koa();
    app.use(koaSession(session));
    app.use((ctx) => {
      const v = ctx.session.getValue();
      v.set('n', v.int('n') + 1);
      ctx.type = 'text/plain';
      ctx.body = Readable.from([`n=${v.int('n')}`]);
    });
    const running = await serve(app);
    try {
      const c = new Client(running.url);
      expect((await c.get('/')).body).toBe('n=1');
      expect((await c.get('/')).body).toBe('n=2');
    } finally {
      await running.close();
      session.dispose();
    }
  });
});
