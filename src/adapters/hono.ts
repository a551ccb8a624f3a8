/**
 * Hono middleware on top of `wasm-session/web`: `app.use(honoSession(session))`,
 * then `c.get('session')` in every later handler.
 *
 * ```ts
 * import { Hono } from 'hono';
 * import { MemoryProvider, Session } from 'wasm-session';
 * import { honoSession } from 'wasm-session/hono';
 *
 * const app = new Hono(); // c.get('session') is typed without an Env generic
 * app.use(honoSession(new Session(new MemoryProvider(), { cookieSecret: process.env.SESSION_SECRET! })));
 * app.get('/', (c) => {
 *   const v = c.get('session').getValue();
 *   v.set('visits', v.int('visits') + 1);
 *   return c.text(`visits: ${v.int('visits')}`);
 * });
 * ```
 * @module
 */
import type { MiddlewareHandler } from 'hono';
import { assertSession, type AnySession } from './request-session.js';
import { startWeb, type WebSession } from './web.js';
import { checkMaxAge, staleResponse, type FreshGuardOptions } from '../users/fresh.js';

export { RequestSession } from './request-session.js';
export type { AnySession } from './request-session.js';
export { WebSession } from './web.js';

declare module 'hono' {
  // Typed in a plain `new Hono()` too, with no Env generic (what `c.get` reads).
  interface ContextVariableMap {
    /** This request's session (set by `honoSession`). */
    session: WebSession;
  }
}

/** The Hono `Env` the middleware provides: `c.get('session')` (also typed without it, see ContextVariableMap). */
export interface HonoSessionEnv {
  Variables: {
    /** This request's session (set by `honoSession`). */
    session: WebSession;
  };
}

/**
 * Middleware that starts the session from `c.req.raw` and, once the handler
 * has answered, saves it and appends its `Set-Cookie` lines to `c.res`
 * (next to the app's own). A failing store rejects into Hono's `onError`.
 */
export function honoSession(session: AnySession): MiddlewareHandler<HonoSessionEnv> {
  assertSession(session, 'honoSession');
  return async (c, next) => {
    // Mounted twice (app and route): the outer one commits.
    if (c.get('session') !== undefined) return next();
    const s = await startWeb(session, c.req.raw);
    c.set('session', s);
    await next();
    // Hono caught a handler error (c.error, answered by onError): keep no automatic changes.
    if (c.error !== undefined) s.discard();
    const res = await s.commit(c.res);
    if (res !== c.res) {
      // Hono's setter merges the old response's headers into a new one (dropping
      // our Set-Cookie lines in favour of the old ones): clear it first.
      c.res = undefined;
      c.res = res;
    }
  };
}

/**
 * Step-up guard ("sudo mode"): passes when `c.get('session')` authenticated
 * at most `maxAge` seconds ago, else answers 403 `{"error":"ERR_REAUTH_REQUIRED"}`
 * or calls `onStale`. Mount after `honoSession`.
 */
export function requireFresh(maxAge: number, options: FreshGuardOptions<MiddlewareHandler<HonoSessionEnv>> = {}): MiddlewareHandler<HonoSessionEnv> {
  const max = checkMaxAge(maxAge);
  return async (c, next) => {
    const s = c.get('session') as WebSession | undefined;
    if (s !== undefined && s.isFresh(max)) return next();
    if (options.onStale !== undefined) return options.onStale(c, next);
    const stale = staleResponse(max);
    return new Response(stale.body, { status: stale.status, headers: stale.headers });
  };
}
