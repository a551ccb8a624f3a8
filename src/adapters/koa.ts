/**
 * Koa middleware: `app.use(koaSession(session))`, then `ctx.session` in every
 * later middleware.
 *
 * ```ts
 * import Koa from 'koa';
 * import { MemoryProvider, Session } from 'wasm-session';
 * import { koaSession } from 'wasm-session/koa';
 *
 * const app = new Koa();
 * app.use(koaSession(new Session(new MemoryProvider(), { cookieSecret: process.env.SESSION_SECRET! })));
 * app.use((ctx) => {
 *   const v = ctx.session.getValue();
 *   v.set('visits', v.int('visits') + 1); // saved when the downstream middleware is done
 *   ctx.body = `visits: ${v.int('visits')}`;
 * });
 * ```
 * @module
 */
import type Koa from 'koa';
import { assertSession, RequestSession, type AnySession } from './request-session.js';
import { checkMaxAge, staleResponse, type FreshGuardOptions } from '../users/fresh.js';

export { RequestSession } from './request-session.js';
export type { AnySession } from './request-session.js';

declare module 'koa' {
  interface DefaultContext {
    /** This request's session (set by `koaSession`). */
    session: RequestSession;
  }
}

/**
 * Middleware that restores or starts the session and puts it on `ctx.session`.
 *
 * After the downstream middleware is done it saves a changed value, so a
 * failing store goes through Koa's error handling (`app.on('error')`, the
 * error response) like koa-session's commit; the cookie itself is written by
 * the manager's hooks on `ctx.res` just before the headers go out, next to
 * whatever `ctx.cookies.set` / `ctx.append('Set-Cookie')` put there.
 */
export function koaSession(session: AnySession): Koa.Middleware {
  assertSession(session, 'koaSession');
  return async (ctx, next) => {
    const existing: unknown = ctx.session;
    if (existing instanceof RequestSession) return next();
    const started = RequestSession.start(session, ctx.req, ctx.res);
    const s = started instanceof Promise ? await started : started;
    // ctx.session is typed by SessionData (declared once per app); a schema-typed Session's data matches it.
    ctx.session = s;
    try {
      await next();
    } catch (err) {
      // A failed request keeps no automatic changes (Koa answers it with its error response).
      s.discard();
      throw err;
    }
    await s.flush();
  };
}

/**
 * Step-up guard ("sudo mode"): passes when `ctx.session` authenticated at
 * most `maxAge` seconds ago, else answers 403 `{"error":"ERR_REAUTH_REQUIRED"}`
 * or calls `onStale`. Mount after `koaSession`.
 */
export function requireFresh(maxAge: number, options: FreshGuardOptions<Koa.Middleware> = {}): Koa.Middleware {
  const max = checkMaxAge(maxAge);
  return async (ctx, next) => {
    const s: unknown = ctx.session;
    if (s instanceof RequestSession && s.isFresh(max)) return next();
    if (options.onStale !== undefined) return options.onStale(ctx, next);
    const stale = staleResponse(max);
    ctx.status = stale.status;
    ctx.set(stale.headers);
    ctx.body = stale.body;
  };
}
