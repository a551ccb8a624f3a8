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
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import type { SessionResponse } from '../manager/http.js';
import type { Session } from '../manager/session.js';
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
    // The manager passes the whole list: replace, since reply.header appends for set-cookie.
    this.#reply.removeHeader(name);
    this.#reply.header(name, Array.isArray(value) ? [...(value as readonly string[])] : value);
  }

  removeHeader(name: string): void {
    this.#reply.removeHeader(name);
  }

  get headersSent(): boolean {
    return this.#reply.raw.headersSent;
  }
}

const saved = Symbol('wasm-session.saved');

const plugin: FastifyPluginAsync<FastifySessionOptions> = async (fastify, options) => {
  const session = options.session;
  assertSession(session, 'fastifySession: options.session');
  // null, not an object: Fastify shares decorator values between requests.
  fastify.decorateRequest('session', null as unknown as RequestSession);

  fastify.addHook('onRequest', async (request, reply) => {
    request.session = await RequestSession.start(session, request.raw, new ReplyResponse(reply));
  });

  // A route that threw keeps no automatic changes (onSend still runs for the error reply).
  fastify.addHook('onError', async (request) => {
    (request.session as RequestSession | null)?.discard();
  });

  fastify.addHook('onSend', async (request, _reply, payload) => {
    const s = request.session as RequestSession | null;
    // Once per request: onSend runs again for the error reply if the save fails.
    const slot = request as unknown as Record<symbol, boolean | undefined>;
    if (s === null || slot[saved] === true) return payload;
    slot[saved] = true;
    await s.flush();
    return payload;
  });
};

/** The plugin (wrapped with fastify-plugin, so `request.session` is seen app-wide). */
export const fastifySession = fp(plugin, { fastify: '5.x', name: 'wasm-session' });
export default fastifySession;
