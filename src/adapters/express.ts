/**
 * Express / Connect middleware: `app.use(expressSession(session))`, then
 * `req.session` in every later handler.
 *
 * ```ts
 * import express from 'express';
 * import { MemoryProvider, Session } from 'wasm-session';
 * import { expressSession } from 'wasm-session/express';
 *
 * const app = express();
 * app.use(expressSession(new Session(new MemoryProvider(), { cookieSecret: process.env.SESSION_SECRET! })));
 * app.get('/', (req, res) => {
 *   const v = req.session.getValue();
 *   v.set('visits', v.int('visits') + 1); // saved before the response goes out
 *   res.send(`visits: ${v.int('visits')}`);
 * });
 * ```
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { assertSession, RequestSession, type AnySession } from './request-session.js';
import { checkMaxAge, staleResponse, type FreshGuardOptions } from '../users/fresh.js';

export { RequestSession } from './request-session.js';
export type { AnySession } from './request-session.js';

declare global {
  // Express's own extension point for `req` (what @types/express-session uses too).
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** This request's session (set by `expressSession`). */
      session: RequestSession;
    }
  }
}

/** Connect-style middleware; Express 4 and 5 accept it as it is. */
export type ExpressSessionMiddleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/**
 * Middleware that restores or starts the session and puts it on `req.session`.
 *
 * Express sits on `node:http`, so the manager's own hooks on the response do
 * the rest: the cookie is set just before the headers go out and a changed
 * value is saved before the response ends. A store failure at start (with
 * `onStoreError: 'fail'`) goes to `next(err)`. Mounting it twice (app and
 * router) is harmless: the second one reuses the request's session.
 */
export function expressSession(session: AnySession): ExpressSessionMiddleware {
  assertSession(session, 'expressSession');
  return (req, res, next) => {
    const slot = req as IncomingMessage & { session?: unknown };
    if (slot.session instanceof RequestSession) {
      next();
      return;
    }
    const started = RequestSession.start(session, req, res);
    if (!(started instanceof Promise)) {
      slot.session = started;
      next();
      return;
    }
    started.then(
      (s) => {
        slot.session = s;
        next();
      },
      (err: unknown) => next(err),
    );
  };
}

/**
 * Step-up guard ("sudo mode"): passes when the request's session
 * authenticated at most `maxAge` seconds ago (`login` or
 * `reauthenticated`), else answers 403 `{"error":"ERR_REAUTH_REQUIRED"}`, or
 * calls `onStale` (e.g. redirect to a password prompt). Mount after `expressSession`.
 */
export function requireFresh(maxAge: number, options: FreshGuardOptions<ExpressSessionMiddleware> = {}): ExpressSessionMiddleware {
  const max = checkMaxAge(maxAge);
  return (req, res, next) => {
    const s = (req as IncomingMessage & { session?: unknown }).session;
    if (s instanceof RequestSession && s.isFresh(max)) return next();
    if (options.onStale !== undefined) return options.onStale(req, res, next);
    const stale = staleResponse(max);
    res.writeHead(stale.status, stale.headers).end(stale.body);
  };
}
