/**
 * Web-standard `Request`/`Response` runtimes (Hono, itty-router, Bun/Deno
 * style `fetch` handlers): no `node:http` response to hook, so the session is
 * started from the request and its cookies are committed onto the outgoing
 * `Response` explicitly.
 *
 * ```ts
 * import { MemoryProvider, Session } from 'wasm-session';
 * import { startWeb } from 'wasm-session/web';
 *
 * const session = new Session(new MemoryProvider(), { cookieSecret: process.env.SESSION_SECRET! });
 * export default {
 *   async fetch(request: Request): Promise<Response> {
 *     const s = await startWeb(session, request);
 *     const v = s.getValue();
 *     v.set('visits', v.int('visits') + 1);
 *     return s.commit(new Response(`visits: ${v.int('visits')}`));
 *   },
 * };
 * ```
 * @module
 */
import type { Session } from '../session/session.js';
import type { SessionRequest, SessionResponse } from '../manager/http.js';
import type { SessionStore } from '../manager/store.js';
import { assertSession, RequestSession, type AnySession } from './request-session.js';
import { checkMaxAge, staleResponse } from '../users/fresh.js';

export { RequestSession } from './request-session.js';
export type { AnySession } from './request-session.js';

/** What `startWeb` reads from a request: only its `Cookie` header (a Fetch API `Request` fits). */
export interface WebRequestLike {
  readonly headers: { get(name: string): string | null };
}

/**
 * The manager's response, collecting the `Set-Cookie` lines it writes until
 * `commit` copies them onto the real `Response`. No `writeHead`/`end`: the
 * manager installs no hooks, `commit` saves explicitly.
 */
class CookieCollector implements SessionResponse {
  #lines: string[] = [];
  #sent = false;

  getHeader(name: string): readonly string[] | undefined {
    return name.toLowerCase() === 'set-cookie' && this.#lines.length > 0 ? this.#lines : undefined;
  }

  setHeader(name: string, value: number | string | readonly string[]): void {
    // The manager only ever sets Set-Cookie (as the whole list); anything else belongs on the Response.
    if (name.toLowerCase() !== 'set-cookie') return;
    this.#lines = typeof value === 'object' ? [...value] : [String(value)];
  }

  removeHeader(name: string): void {
    if (name.toLowerCase() === 'set-cookie') this.#lines = [];
  }

  get headersSent(): boolean {
    return this.#sent;
  }

  /** Marks the response as sent and returns the lines to put on it. */
  take(): readonly string[] {
    this.#sent = true;
    return this.#lines;
  }
}

/**
 * A {@link RequestSession} for a Web-standard request, with `commit` to put
 * its cookies on the response.
 */
export class WebSession extends RequestSession {
  readonly #collector: CookieCollector;

  /** @internal Made by {@link startWeb}. */
  constructor(session: Session, req: SessionRequest, collector: CookieCollector, store: SessionStore) {
    super(session, req, collector, store);
    this.#collector = collector;
  }

  /**
   * Saves a changed value, then appends the session's `Set-Cookie` lines to
   * `response` (never replacing the app's own) and returns it. A `Response`
   * with immutable headers (`Response.redirect`, a `fetch` result) is copied
   * first, so always send the returned one. Rejects with the store's error
   * when the save fails; the response is then left without session cookies.
   * After `commit`, changes that need a new cookie reject with `HeadersSentError`.
   */
  async commit(response: Response): Promise<Response> {
    await this.flush();
    const lines = this.#collector.take();
    if (lines.length === 0) return response;
    try {
      for (const line of lines) response.headers.append('Set-Cookie', line);
      return response;
    } catch {
      // Immutable headers (the first append throws, so nothing was added).
      const copy = new Response(response.body, response);
      for (const line of lines) copy.headers.append('Set-Cookie', line);
      return copy;
    }
  }
}

/** Per Session, the WebSession of each request object (so a second `startWeb` for it shares the first). */
const started = new WeakMap<Session, WeakMap<object, Promise<WebSession>>>();

/**
 * Restores or starts the session of a Web-standard `Request`. Call
 * `commit(response)` on the result before returning the response. Calling it
 * again for the same request object returns the same session.
 * Rejects like `Session.start` (`StoreUnavailableError` with `onStoreError: 'fail'`).
 */
export function startWeb(session: AnySession, request: WebRequestLike): Promise<WebSession> {
  assertSession(session, 'startWeb');
  let perRequest = started.get(session);
  if (perRequest === undefined) started.set(session, (perRequest = new WeakMap()));
  let pending = perRequest.get(request);
  if (pending === undefined) {
    pending = begin(session, request);
    perRequest.set(request, pending);
    // A failed start may be retried.
    pending.catch(() => perRequest.delete(request));
  }
  return pending;
}

async function begin(session: Session, request: WebRequestLike): Promise<WebSession> {
  const cookie = request.headers.get('cookie');
  const req: SessionRequest = { headers: cookie === null ? {} : { cookie } };
  const collector = new CookieCollector();
  return new WebSession(session, req, collector, await session.start(req, collector));
}

/**
 * Step-up check ("sudo mode") for Web-standard handlers: `null` when `s`
 * authenticated at most `maxAge` seconds ago, else the 403 `Response`
 * (`{"error":"ERR_REAUTH_REQUIRED"}`) to return (after `s.commit`).
 */
export function requireFresh(s: WebSession, maxAge: number): Response | null {
  const max = checkMaxAge(maxAge);
  if (s.isFresh(max)) return null;
  const stale = staleResponse(max);
  return new Response(stale.body, { status: stale.status, headers: stale.headers });
}
