/**
 * Fastify plugin: `app.register(fastifySession, { session })`, then
 * `request.session` in every route of the app (the plugin is not encapsulated).
 *
 * ```ts
 * import Fastify from 'fastify';
 * import { MemoryProvider, Session } from 'wasm-session';
 * import { fastifySession } from 'wasm-session/fastify';
 *
 * const app = Fastify();
 * await app.register(fastifySession, { session: new Session(new MemoryProvider(), { cookieSecret: process.env.SESSION_SECRET! }) });
 * app.get('/', async (request) => {
 *   const v = request.session.getValue();
 *   v.set('visits', v.int('visits') + 1); // saved in onSend, before the reply goes out
 *   return { visits: v.int('visits') };
 * });
 * ```
 * @module
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { checkMaxAge, staleResponse, type FreshGuardOptions } from '../users/fresh.js';
import fp from 'fastify-plugin';
import type { SessionResponse } from '../manager/http.js';
import type { Session } from '../session/session.js';
import { assertSession, RequestSession, type AnySession } from './request-session.js';

export { RequestSession } from './request-session.js';
export type { AnySession } from './request-session.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** This request's session (set by the `fastifySession` plugin in `onRequest`). */
    session: RequestSession;
  }
}

export interface FastifySessionOptions {
  /** The app's session manager. */
  session: AnySession;
}

/**
 * The manager's view of a Fastify reply: headers go through `reply.header`
 * (Fastify passes its own header table to `writeHead`, which would overwrite
 * a header set on `reply.raw`). It has no `writeHead`/`end`, so the manager
 * does not hook `reply.raw`: the `onSend` hook saves instead. A class, not an
 * object literal per request:
 * a literal with its own getter got a fresh hidden class each time, and cost
 * ~12 µs of CPU per request in GC and map churn (bench/tools/profile-server.js).
 */
class ReplyResponse implements SessionResponse {
  readonly #reply: FastifyReply;

  constructor(reply: FastifyReply) {
    this.#reply = reply;
  }

  getHeader(name: string): number | string | readonly string[] | undefined {
    return this.#reply.getHeader(name) as number | string | readonly string[] | undefined;
  }

  setHeader(name: string, value: number | string | readonly string[]): void {
    const reply = this.#reply;
    // The manager passes the whole Set-Cookie list, most often the current one
    // plus a line. `reply.header` appends for set-cookie: add just the new
    // lines then, when the current list is Fastify's own (not one set on
    // `reply.raw`). Replacing costs a `delete` on Fastify's header table,
    // which turns it into a slow dictionary for the rest of the request.
    if (Array.isArray(value) && name.length === 10 && name.toLowerCase() === 'set-cookie' && !reply.raw.hasHeader(name)) {
      const lines = value as readonly string[];
      const current = reply.getHeader(name) as number | string | readonly string[] | undefined;
      const have = current === undefined ? 0 : Array.isArray(current) ? current.length : 1;
      if (have <= lines.length && startsWith(lines, current, have)) {
        if (lines.length > have) reply.header(name, lines.slice(have));
        return;
      }
    }
    reply.removeHeader(name);
    reply.header(name, Array.isArray(value) ? [...(value as readonly string[])] : value);
  }

  removeHeader(name: string): void {
    this.#reply.removeHeader(name);
  }

  get headersSent(): boolean {
    return this.#reply.raw.headersSent;
  }
}

/** True when `lines` begins with the `have` lines of `current` (a header value). */
function startsWith(lines: readonly string[], current: number | string | readonly string[] | undefined, have: number): boolean {
  if (have === 0) return true;
  if (!Array.isArray(current)) return lines[0] === String(current);
  for (let i = 0; i < have; i++) if (lines[i] !== (current as readonly string[])[i]) return false;
  return true;
}

/*
 * Callback hooks, not async ones (Fastify's advice for hot hooks): an async
 * hook costs a promise and Fastify's then-wrapping per hook per request, and
 * `onSend` of a request that changed nothing (or that already saved) then
 * completes synchronously.
 */
const plugin: FastifyPluginAsync<FastifySessionOptions> = async (fastify, options) => {
  const given = options.session;
  assertSession(given, 'fastifySession: options.session');
  const session: Session = given;
  // null, not an object: Fastify shares decorator values between requests.
  fastify.decorateRequest('session', null as unknown as RequestSession);

  fastify.addHook('onRequest', (request, reply, done) => {
    const req = request.raw;
    const res = new ReplyResponse(reply);
    const started = RequestSession.start(session, req, res);
    if (!(started instanceof Promise)) {
      // An in-process provider: the hook finishes synchronously.
      request.session = started;
      done();
      return;
    }
    started.then((s) => {
      request.session = s;
      done();
    }, done);
  });

  // A route that threw keeps no automatic changes (onSend still runs for the error reply).
  fastify.addHook('onError', (request, _reply, _error, done) => {
    (request.session as RequestSession | null)?.discard();
    done();
  });

  fastify.addHook('onSend', (request, _reply, payload, done) => {
    const s = request.session as RequestSession | null;
    // Once per request: onSend runs again for the error reply if the save fails.
    const saving = s === null ? null : s.flushOnce();
    if (saving === null) done(null, payload);
    else saving.then(() => done(null, payload), done);
  });
};

/** The plugin (wrapped with fastify-plugin, so `request.session` is seen app-wide). */
export const fastifySession = fp(plugin, { fastify: '5.x', name: 'wasm-session' });
export default fastifySession;

/** A Fastify `preHandler` as `requireFresh` takes and returns it. */
export type FreshPreHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/**
 * Step-up guard ("sudo mode") for a route's `preHandler`: passes when
 * `request.session` authenticated at most `maxAge` seconds ago, else answers
 * 403 `{"error":"ERR_REAUTH_REQUIRED"}` or calls `onStale`.
 */
export function requireFresh(maxAge: number, options: FreshGuardOptions<FreshPreHandler> = {}): FreshPreHandler {
  const max = checkMaxAge(maxAge);
  return async (request, reply) => {
    const s = (request as unknown as { session: unknown }).session;
    if (s instanceof RequestSession && s.isFresh(max)) return;
    if (options.onStale !== undefined) return options.onStale(request, reply);
    const stale = staleResponse(max);
    return reply.code(stale.status).headers(stale.headers).send(stale.body);
  };
}
