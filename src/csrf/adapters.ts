/**
 * The cross-site request guard for each adapter: mount it after the session
 * middleware (the token check reads the request's session). Each answers a
 * refused request 403 with `{"error":"ERR_CSRF_REJECTED","reason":…}`.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CsrfRejectedError } from '../errors.js';
import { CsrfGuard, storedToken, type CsrfOptions } from './guard.js';

/** Anything with the session's value: `req.session`, `ctx.session`, `c.get('session')`, a SessionStore. */
export interface TokenSource {
  getValue(): { get(key: string): unknown };
}

/** A node:http request as the guard reads it (Express adds `originalUrl` and `body`, the adapters `session`). */
export type NodeRequest = IncomingMessage & { originalUrl?: string; body?: unknown; session?: unknown };

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

function pathOf(url: string | undefined): string {
  if (url === undefined) return '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

function bodyField(body: unknown, field: string): string | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const v = (body as Record<string, unknown>)[field];
  return typeof v === 'string' ? v : undefined;
}

function isTokenSource(s: unknown): s is TokenSource {
  return s !== null && typeof s === 'object' && typeof (s as TokenSource).getValue === 'function';
}

/**
 * The guard's decision for a node:http request (Express, Koa's `ctx.req`,
 * Fastify's `request.raw`, plain node:http): `null` or the refusal.
 * `session` is where the synchronizer token lives (else `req.session`).
 */
export function checkNodeRequest(guard: CsrfGuard, req: NodeRequest, session?: TokenSource, body?: unknown): CsrfRejectedError | null {
  const source = session ?? (isTokenSource(req.session) ? req.session : undefined);
  return guard.check({
    method: req.method ?? 'GET',
    path: pathOf(req.originalUrl ?? req.url),
    host: header(req, 'host'),
    secFetchSite: header(req, 'sec-fetch-site'),
    origin: header(req, 'origin'),
    token: header(req, guard.tokenHeader) ?? bodyField(body ?? req.body, guard.tokenField),
    sessionToken: () => storedToken(source),
  });
}

function body403(error: CsrfRejectedError): string {
  return JSON.stringify({ error: error.code, reason: error.reason });
}

/** Answers a node:http response with the guard's 403. */
export function sendRejected(res: ServerResponse, error: CsrfRejectedError): void {
  const body = body403(error);
  res.writeHead(403, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Express / Connect middleware (after `expressSession`, and after a body parser when forms carry `_csrf`). */
export function expressCsrf(options: CsrfOptions = {}): (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void {
  const guard = new CsrfGuard(options);
  return (req, res, next) => {
    const refused = checkNodeRequest(guard, req);
    if (refused === null) next();
    else sendRejected(res, refused);
  };
}

/** A guard for plain node:http: resolves true when it answered 403 (stop handling), false to go on. */
export function nodeCsrf(options: CsrfOptions = {}): (req: IncomingMessage, res: ServerResponse, session?: TokenSource) => boolean {
  const guard = new CsrfGuard(options);
  return (req, res, session) => {
    const refused = checkNodeRequest(guard, req, session);
    if (refused === null) return false;
    sendRejected(res, refused);
    return true;
  };
}

/** Koa middleware (after `koaSession`; reads `ctx.request.body` where a body parser ran first). */
export function koaCsrf(options: CsrfOptions = {}): (ctx: KoaLike, next: () => Promise<unknown>) => Promise<unknown> {
  const guard = new CsrfGuard(options);
  return async (ctx, next) => {
    const session = isTokenSource(ctx.session) ? ctx.session : undefined;
    const refused = checkNodeRequest(guard, ctx.req as NodeRequest, session, ctx.request?.body);
    if (refused === null) return next();
    ctx.status = 403;
    ctx.set('cache-control', 'no-store');
    ctx.type = 'application/json';
    ctx.body = body403(refused);
    return undefined;
  };
}

/** What the Koa middleware uses of `ctx` (no import of Koa). */
export interface KoaLike {
  req: IncomingMessage;
  request?: { body?: unknown };
  session?: unknown;
  status: number;
  type: string;
  body: unknown;
  set(name: string, value: string): void;
}

/** What the Fastify hook uses of `request` and `reply` (no import of Fastify). */
export interface FastifyRequestLike {
  raw: IncomingMessage;
  body?: unknown;
  session?: unknown;
}
export interface FastifyReplyLike {
  code(status: number): FastifyReplyLike;
  header(name: string, value: string): FastifyReplyLike;
  send(payload: string): unknown;
}

/** A Fastify `preHandler` hook (after `fastifySession`): `app.addHook('preHandler', fastifyCsrf())`. */
export function fastifyCsrf(options: CsrfOptions = {}): (request: FastifyRequestLike, reply: FastifyReplyLike) => Promise<void> {
  const guard = new CsrfGuard(options);
  return async (request, reply) => {
    const session = isTokenSource(request.session) ? request.session : undefined;
    const refused = checkNodeRequest(guard, request.raw as NodeRequest, session, request.body);
    if (refused === null) return;
    await reply.code(403).header('content-type', 'application/json').header('cache-control', 'no-store').send(body403(refused));
  };
}

/**
 * The decision for a Web-standard `Request` (Hono, Deno, Bun, workers):
 * `null` to go on, else the 403 `Response` to return. `session` holds the token.
 */
export function checkWebRequest(guard: CsrfGuard, request: Request, session?: TokenSource, formToken?: string): Response | null {
  const url = new URL(request.url);
  const refused = guard.check({
    method: request.method,
    path: url.pathname,
    host: request.headers.get('host') ?? url.host,
    secFetchSite: request.headers.get('sec-fetch-site') ?? undefined,
    origin: request.headers.get('origin') ?? undefined,
    token: request.headers.get(guard.tokenHeader) ?? formToken,
    sessionToken: () => storedToken(session),
  });
  if (refused === null) return null;
  return new Response(body403(refused), { status: 403, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } });
}

/** A guard for Web-standard requests: `const refused = guard(request, session); if (refused) return refused;`. */
export function webCsrf(options: CsrfOptions = {}): (request: Request, session?: TokenSource) => Response | null {
  const guard = new CsrfGuard(options);
  return (request, session) => checkWebRequest(guard, request, session);
}

/** What the Hono middleware uses of `c` (no import of Hono). */
export interface HonoContextLike {
  req: { raw: Request };
  get(key: 'session'): unknown;
}

/** Hono middleware (after `honoSession`): `app.use(honoCsrf())`. */
export function honoCsrf(options: CsrfOptions = {}): (c: HonoContextLike, next: () => Promise<void>) => Promise<Response | void> {
  const guard = new CsrfGuard(options);
  return async (c, next) => {
    const session = c.get('session');
    const refused = checkWebRequest(guard, c.req.raw, isTokenSource(session) ? session : undefined);
    if (refused !== null) return refused;
    await next();
  };
}
