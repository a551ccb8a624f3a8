/**
 * Device Bound Session Credentials (W3C WebAppSec DBSC draft) for a Session.
 *
 * The browser keeps a private key (TPM / secure enclave); the server issues a
 * short-lived *bound cookie* only to a request that proves possession of the
 * key. A bound session whose requests come without a valid bound cookie (the
 * long-lived session cookie copied by malware) restores as `unbound`.
 * @module
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LRUCache } from 'lru-cache';
import { InvalidConfigError } from '../errors.js';
import { createCodec } from '../crypto/index.js';
import type { Codec } from '../crypto/types.js';
import type { Session } from '../session/session.js';
import type { DefaultSessionData } from '../manager/value.js';
import { cookieValues, type SessionRequest, type SessionResponse } from '../manager/http.js';
import type { Storer } from '../providers/provider.js';
import { challengeHeader, CHALLENGE_HEADER, REGISTRATION_HEADER, registrationHeader, RESPONSE_HEADER, SESSION_ID_HEADER, stringField } from './headers.js';
import { DBSC_ALGORITHMS, importKey, parseJws, publicJwk, thumbprint, verifySignature, type DbscAlgorithm, type ParsedJws } from './jws.js';
import { ID_KEY, isBound, readRecord, writeRecord, type BoundRecord } from './record.js';
import { TokenCache } from '../crypto/token-cache.js';

/** One rule of the session's scope (`scope_specification`). */
export interface DbscScopeRule {
  readonly type: 'include' | 'exclude';
  /** Default `*` (every host in scope). */
  readonly domain?: string;
  /** Path prefix; default `/`. */
  readonly path?: string;
}

export interface DbscScope {
  /** The origin the session covers; default: the origin of the registration URL. */
  readonly origin?: string;
  /** The whole site (every subdomain; the origin's host must be the registrable domain). Default false. */
  readonly includeSite?: boolean;
  /** Exceptions, e.g. `{ type: 'exclude', path: '/static' }` for what needs no bound cookie. */
  readonly rules?: readonly DbscScopeRule[];
}

export interface DbscConfig {
  /** `enforce` (default): an unbound request gets a new session. `additive`: it restores, with `reason: 'unbound'`, and the app decides. */
  readonly mode?: 'enforce' | 'additive';
  /** Where the browser posts its registration proof. Default `/dbsc/register`. */
  readonly registrationPath?: string;
  /** Where the browser refreshes the bound cookie. Default `/dbsc/refresh`. */
  readonly refreshPath?: string;
  /** Offered algorithms, in preference order. Default `['ES256', 'RS256']`; `none` is never offered. */
  readonly algorithms?: readonly DbscAlgorithm[];
  /** Name of the short-lived bound cookie. Default `dbsc_bound`. */
  readonly cookieName?: string;
  /** Lifetime of the bound cookie (s): ≥ 300 (Chrome refreshes at most twice per 5 minutes). Default 600. */
  readonly cookieMaxAge?: number;
  /** How long a challenge can be answered (s). Default 300. */
  readonly challengeTtl?: number;
  readonly scope?: DbscScope;
  /** Out-of-scope hosts allowed to trigger a refresh (`allowed_refresh_initiators`). */
  readonly allowedRefreshInitiators?: readonly string[];
  /** `dbsc.logout` also sends `Clear-Site-Data: "cookies"`. Default false. */
  readonly clearSiteData?: boolean;
  /** Challenge nonces used (the single-use check across records: CookieProvider keeps records client-side). Default 100000. */
  readonly replayCacheSize?: number;
}

/** Why a registration or refresh proof was refused (in the JSON body of a 400/403, and the `refused` event). */
export type DbscRefusal =
  | 'no-registration'
  | 'no-proof'
  | 'malformed-proof'
  | 'bad-type'
  | 'bad-algorithm'
  | 'bad-key'
  | 'key-at-refresh'
  | 'bad-signature'
  | 'bad-challenge'
  | 'replayed-challenge'
  | 'no-session-id';

/** What one endpoint answered, for node:http and Web responses alike. */
export interface DbscReply {
  readonly status: number;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: string;
}

/** A request the endpoints read: node's `IncomingMessage`, or a Web request's headers copied in. */
export interface EndpointRequest extends SessionRequest {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly headers: { readonly cookie?: string | undefined; readonly [name: string]: string | readonly string[] | undefined };
}

/** Not derived from the session cookie's name: a name containing it would send the session cookie's lookup down its slow path. */
const DEFAULT_BOUND = 'dbsc_bound';
const NONCE_BYTES = 18;
const ID_BYTES = 16;
const JSON_TYPE = 'application/json';

/**
 * DBSC for one Session. Make one per Session at startup; it installs the
 * bound-cookie check into the Session, so every `start` honours it.
 *
 * ```ts
 * import http from 'node:http';
 * import { MemoryProvider, Session } from 'wasm-session';
 * import { Dbsc } from 'wasm-session/dbsc';
 *
 * const session = new Session(new MemoryProvider(), { cookieSecret: process.env.SESSION_SECRET! });
 * const dbsc = new Dbsc(session, { mode: 'enforce' });
 * http.createServer(async (req, res) => {
 *   if (await dbsc.handle(req, res)) return; // the registration and refresh endpoints
 *   if (req.method === 'POST' && req.url === '/login') {
 *     await session.login(req, res, 'alice');
 *     await dbsc.offer(req, res); // Secure-Session-Registration on this response
 *     return res.end('ok');
 *   }
 *   const store = await session.start(req, res); // a copied cookie alone: reason 'unbound'
 *   res.end(store.userId() ?? 'anonymous');
 * });
 * ```
 */
export class Dbsc<D extends object = DefaultSessionData> {
  readonly session: Session<D>;
  readonly mode: 'enforce' | 'additive';
  readonly registrationPath: string;
  readonly refreshPath: string;
  readonly cookieName: string;
  readonly cookieMaxAge: number;
  readonly challengeTtl: number;
  readonly algorithms: readonly DbscAlgorithm[];
  /** The bound cookie's attributes: one source for its Set-Cookie line and the `credentials` the browser checks. */
  readonly cookieAttributes: string;
  readonly #config: DbscConfig;
  readonly #bound: Codec;
  /** Bound cookies that verified: a returning request's check is a lookup (the cookie changes only at refresh). */
  readonly #boundTokens: TokenCache;
  readonly #challenges: Codec;
  readonly #used: LRUCache<string, true>;
  /** Requests to the two endpoints: the long-lived cookie alone is enough there (the check passes them). */
  readonly #endpoint = new WeakSet<object>();

  constructor(session: Session<D>, config: DbscConfig = {}) {
    if (config === null || typeof config !== 'object') throw new InvalidConfigError('dbsc config must be an object');
    this.session = session;
    this.#config = config;
    const c = session.config;
    this.mode = config.mode ?? 'enforce';
    if (this.mode !== 'enforce' && this.mode !== 'additive') throw new InvalidConfigError("dbsc mode must be 'enforce' or 'additive'");
    this.registrationPath = path(config.registrationPath ?? '/dbsc/register', 'registrationPath');
    this.refreshPath = path(config.refreshPath ?? '/dbsc/refresh', 'refreshPath');
    if (this.registrationPath === this.refreshPath) throw new InvalidConfigError('dbsc registrationPath and refreshPath must differ');
    this.cookieName = config.cookieName ?? (c.cookieName === DEFAULT_BOUND ? `${DEFAULT_BOUND}_2` : DEFAULT_BOUND);
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(this.cookieName) || this.cookieName === c.cookieName) throw new InvalidConfigError('dbsc cookieName must be a cookie token other than the session cookie');
    this.cookieMaxAge = config.cookieMaxAge ?? 600;
    if (!Number.isSafeInteger(this.cookieMaxAge) || this.cookieMaxAge < 300) throw new InvalidConfigError('dbsc cookieMaxAge must be an integer ≥ 300 (Chrome refreshes at most twice per 5 minutes)');
    this.challengeTtl = config.challengeTtl ?? 300;
    if (!Number.isSafeInteger(this.challengeTtl) || this.challengeTtl < 10 || this.challengeTtl > 3600) throw new InvalidConfigError('dbsc challengeTtl must be an integer from 10 to 3600 (s)');
    const algorithms = config.algorithms ?? DBSC_ALGORITHMS;
    if (!Array.isArray(algorithms) || algorithms.length === 0 || algorithms.some((a) => !DBSC_ALGORITHMS.includes(a as DbscAlgorithm))) {
      throw new InvalidConfigError("dbsc algorithms must be a non-empty list of 'ES256' and 'RS256'");
    }
    this.algorithms = [...algorithms];
    if (config.cookieName?.startsWith('__Host-') && (!c.cookieSecure || c.cookiePath !== '/' || c.cookieDomain !== undefined)) {
      throw new InvalidConfigError('a __Host- bound cookie needs cookieSecure, cookiePath "/" and no cookieDomain');
    }
    // Never Partitioned: the spec refuses credentials with it.
    const sameSite = c.cookieSameSite === 'none' ? 'None' : c.cookieSameSite === 'strict' ? 'Strict' : 'Lax';
    this.cookieAttributes = [c.cookieDomain === undefined ? null : `Domain=${c.cookieDomain}`, `Path=${c.cookiePath}`, c.cookieSecure ? 'Secure' : null, 'HttpOnly', `SameSite=${sameSite}`]
      .filter((p) => p !== null)
      .join('; ');
    const base = { secrets: c.cookieSecret, backend: c.backend, ...(c.clockSkewMs === undefined ? {} : { clockSkewMs: c.clockSkewMs }) };
    // Keys derive from the name: bound cookies and challenges can never be passed off as each other or as session cookies.
    this.#bound = createCodec({ ...base, name: `dbsc-bound:${this.cookieName}` });
    this.#challenges = createCodec({ ...base, name: `dbsc-challenge:${this.cookieName}` });
    this.#boundTokens = new TokenCache(this.#bound, c.clockSkewMs === undefined ? {} : { clockSkewMs: c.clockSkewMs });
    this.#used = new LRUCache({ max: config.replayCacheSize ?? 100_000, ttl: (this.challengeTtl + 60) * 1000 });
    const maxAge = { maxAge: this.cookieMaxAge };
    session.useBindingCheck({
      enforce: this.mode === 'enforce',
      passes: (req, storer) => this.#passes(req, storer, maxAge),
    });
  }

  /** True when the session has a registered key (its requests need the bound cookie). */
  isBound(store: { getValue(): unknown }): boolean {
    return isBound(readRecord(store.getValue() as never));
  }

  /**
   * Starts registration on this response (call it after a login): adds
   * `Secure-Session-Registration` with a fresh challenge kept on the session
   * record. A DBSC browser then posts a proof to `registrationPath`; others ignore it.
   */
  async offer(req: SessionRequest, res: SessionResponse): Promise<void> {
    const header = await this.registration(await this.session.start(req, res));
    appendHeader(res, REGISTRATION_HEADER, header);
  }

  /**
   * `offer` for a session the app already holds (`req.session`, `ctx.session`,
   * Hono's `c.get('session')`): keeps a fresh registration challenge on it,
   * saves it, and returns the `Secure-Session-Registration` value to put on
   * the response (`c.header('Secure-Session-Registration', value)`).
   */
  async registration(store: { getValue(): unknown; save(): Promise<void> }): Promise<string> {
    const value = store.getValue() as never;
    const current = readRecord(value);
    const nonce = randomBytes(NONCE_BYTES).toString('base64url');
    writeRecord(value, { ...(current === null || current === 'corrupt' ? {} : current), reg: nonce });
    await store.save();
    return registrationHeader(this.algorithms, this.registrationPath, this.#challenges.seal(`r..${nonce}`));
  }

  /**
   * Answers the two DBSC endpoints on node:http (Express, Koa's `ctx.req`/`ctx.res`,
   * Fastify's `request.raw`/`reply.raw` after `reply.hijack()`): resolves
   * true when it answered, false for any other request.
   */
  async handle(req: EndpointRequest, res: SessionResponse & { end(body?: string): unknown }): Promise<boolean> {
    const kind = this.#kind(req);
    if (kind === null) return false;
    const reply = await this.#answer(kind, req, res);
    res.statusCode = reply.status;
    for (const [name, value] of reply.headers) {
      if (name === 'Set-Cookie') appendHeader(res, name, value);
      else res.setHeader(name, value);
    }
    res.setHeader('Content-Length', Buffer.byteLength(reply.body));
    res.end(reply.body);
    return true;
  }

  /** Express / Connect middleware answering the two endpoints (mount it before the routes). */
  express(): (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void {
    return (req, res, next) => {
      this.handle(req, res).then((handled) => {
        if (!handled) next();
      }, next);
    };
  }

  /** Koa middleware answering the two endpoints (after `koaSession`). */
  koa(): (ctx: { req: IncomingMessage; res: ServerResponse; respond?: boolean }, next: () => Promise<unknown>) => Promise<unknown> {
    return async (ctx, next) => {
      if (this.#kind(ctx.req) === null) return next();
      ctx.respond = false; // answered on ctx.res
      await this.handle(ctx.req, ctx.res);
      return undefined;
    };
  }

  /**
   * The endpoints for a Web-standard `Request` (Hono: `app.post(path, (c) => dbsc.fetch(c.req.raw))`,
   * Deno, Bun, workers): the `Response`, or `null` for any other request.
   */
  async fetch(request: Request): Promise<Response | null> {
    const url = new URL(request.url);
    const headers: Record<string, string | undefined> = {};
    for (const name of ['cookie', RESPONSE_HEADER, SESSION_ID_HEADER]) headers[name] = request.headers.get(name) ?? undefined;
    const req: EndpointRequest = { method: request.method, url: url.pathname, headers };
    const kind = this.#kind(req);
    if (kind === null) return null;
    const out = new HeaderCollector();
    const reply = await this.#answer(kind, req, out);
    const h = new Headers();
    for (const line of out.setCookies()) h.append('Set-Cookie', line);
    for (const [name, value] of reply.headers) h.append(name, value);
    return new Response(reply.body, { status: reply.status, headers: h });
  }

  /**
   * Logs the request's session out (`session.logout`, or `destroy` when the
   * provider has no user index), expires the bound cookie, and with
   * `clearSiteData` sends `Clear-Site-Data: "cookies"`. The browser's next
   * refresh then hears `{"continue": false}` and ends its DBSC session.
   */
  async logout(req: SessionRequest, res: SessionResponse): Promise<void> {
    if (this.session.provider.users !== undefined) await this.session.logout(req, res);
    else await this.session.destroy(req, res);
    appendHeader(res, 'Set-Cookie', this.#expiredCookie());
    if (this.#config.clearSiteData === true) res.setHeader('Clear-Site-Data', '"cookies"');
  }

  /** Releases the codecs' key material (WASM memory). Dispose the Session too: its check uses them. */
  dispose(): void {
    this.#boundTokens.clear();
    this.#bound.dispose();
    this.#challenges.dispose();
  }

  #kind(req: EndpointRequest): 'register' | 'refresh' | null {
    if (req.method !== 'POST') return null;
    const p = pathname((req as { originalUrl?: string }).originalUrl ?? req.url);
    return p === this.registrationPath ? 'register' : p === this.refreshPath ? 'refresh' : null;
  }

  async #answer(kind: 'register' | 'refresh', req: EndpointRequest, res: SessionResponse): Promise<DbscReply> {
    this.#endpoint.add(req);
    const store = await this.session.start(req, res);
    const reply = kind === 'register' ? this.#register(req, store) : this.#refresh(req, store);
    // The record changed (binding, challenges): saved before the answer goes out.
    await store.save();
    return reply;
  }

  #register(req: EndpointRequest, store: { getValue(): unknown }): DbscReply {
    const value = store.getValue() as never;
    const record = readRecord(value);
    if (record === null || record === 'corrupt' || record.reg === undefined) return refused(400, 'no-registration');
    const jws = proofOf(req);
    if (typeof jws === 'string') return refused(400, jws);
    const alg = jws.header.alg;
    if (typeof alg !== 'string' || !this.algorithms.includes(alg as DbscAlgorithm)) return refused(400, 'bad-algorithm');
    const jwk = publicJwk(jws.header.jwk, alg as DbscAlgorithm);
    const key = jwk === null ? null : importKey(jwk);
    if (jwk === null || key === null) return refused(400, 'bad-key');
    if (!verifySignature(jws, alg as DbscAlgorithm, key)) return refused(400, 'bad-signature');
    const challenge = this.#openChallenge(jws.payload.jti, 'r', '');
    if (challenge === null || !same(challenge, record.reg)) return refused(400, 'bad-challenge');
    if (!this.#consume(challenge)) return refused(400, 'replayed-challenge');
    const bound: BoundRecord = { id: randomBytes(ID_BYTES).toString('base64url'), alg: alg as DbscAlgorithm, jwk, kid: thumbprint(jwk), at: Date.now(), ch: [] };
    writeRecord(value, bound);
    return this.#issue(bound, value, 200);
  }

  #refresh(req: EndpointRequest, store: { getValue(): unknown }): DbscReply {
    const id = stringField(req.headers[SESSION_ID_HEADER]);
    if (id === null) return refused(400, 'no-session-id');
    const value = store.getValue() as never;
    const record = readRecord(value);
    // Logged out, destroyed, revoked, expired, or re-registered elsewhere: the browser ends its session.
    if (!isBound(record) || !same(record.id, id)) {
      return { status: 200, headers: [['Content-Type', JSON_TYPE], ['Cache-Control', 'no-store'], ['Set-Cookie', this.#expiredCookie()]], body: '{"continue":false}' };
    }
    const jws = proofOf(req);
    if (jws === 'no-proof') return this.#challenge(record, value, 'no-proof');
    if (typeof jws === 'string') return this.#challenge(record, value, jws);
    if (jws.header.jwk !== undefined) return this.#challenge(record, value, 'key-at-refresh');
    if (jws.header.alg !== record.alg) return this.#challenge(record, value, 'bad-algorithm');
    const key = importKey(record.jwk);
    if (key === null || !verifySignature(jws, record.alg, key)) return this.#challenge(record, value, 'bad-signature');
    const nonce = this.#openChallenge(jws.payload.jti, 'f', record.id);
    if (nonce === null || !record.ch.some((c) => same(c, nonce))) return this.#challenge(record, value, 'bad-challenge');
    if (!this.#consume(nonce)) return this.#challenge(record, value, 'replayed-challenge');
    return this.#issue(record, value, 200);
  }

  /** 200: the instructions, a new bound cookie, and the next challenge (the browser caches it: the next refresh needs no 403 round). */
  #issue(record: BoundRecord, value: never, status: number): DbscReply {
    const nonce = randomBytes(NONCE_BYTES).toString('base64url');
    writeRecord(value, { ...record, ch: [nonce] });
    const line = `${this.cookieName}=${this.#bound.seal(record.id)}; Max-Age=${this.cookieMaxAge}; ${this.cookieAttributes}`;
    const scope = this.#config.scope ?? {};
    const instructions: Record<string, unknown> = {
      session_identifier: record.id,
      refresh_url: this.refreshPath,
      scope: {
        ...(scope.origin === undefined ? {} : { origin: scope.origin }),
        include_site: scope.includeSite === true,
        scope_specification: (scope.rules ?? []).map((r) => ({ type: r.type, ...(r.domain === undefined ? {} : { domain: r.domain }), path: r.path ?? '/' })),
      },
      credentials: [{ type: 'cookie', name: this.cookieName, attributes: this.cookieAttributes }],
    };
    if (this.#config.allowedRefreshInitiators !== undefined) instructions.allowed_refresh_initiators = [...this.#config.allowedRefreshInitiators];
    return {
      status,
      headers: [
        ['Content-Type', JSON_TYPE],
        ['Cache-Control', 'no-store'],
        ['Set-Cookie', line],
        [CHALLENGE_HEADER, challengeHeader(this.#challenges.seal(`f.${record.id}.${nonce}`), record.id)],
      ],
      body: JSON.stringify(instructions),
    };
  }

  /** 403 with a new challenge (never 401: Chrome would end the session). Keeps the previous one answerable (a proof in flight). */
  #challenge(record: BoundRecord, value: never, why: DbscRefusal): DbscReply {
    const nonce = randomBytes(NONCE_BYTES).toString('base64url');
    writeRecord(value, { ...record, ch: [nonce, ...record.ch.slice(0, 1)] });
    return {
      status: 403,
      headers: [
        ['Content-Type', JSON_TYPE],
        ['Cache-Control', 'no-store'],
        [CHALLENGE_HEADER, challengeHeader(this.#challenges.seal(`f.${record.id}.${nonce}`), record.id)],
      ],
      body: JSON.stringify({ error: why }),
    };
  }

  /** The nonce of a challenge this server sealed for `kind` and session `id`, within its TTL; else null. */
  #openChallenge(jti: unknown, kind: 'r' | 'f', id: string): string | null {
    if (typeof jti !== 'string' || jti.length > 1024) return null;
    const r = this.#challenges.openText(jti, { maxAge: this.challengeTtl });
    if (!r.ok) return null;
    const [k, i, nonce] = r.value.split('.');
    return k === kind && i === id && nonce !== undefined && nonce.length > 0 ? nonce : null;
  }

  /** Single use: false when this nonce was answered before (this process; the record's list covers the rest). */
  #consume(nonce: string): boolean {
    if (this.#used.has(nonce)) return false;
    this.#used.set(nonce, true);
    return true;
  }

  #expiredCookie(): string {
    return `${this.cookieName}=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; ${this.cookieAttributes}`;
  }

  /** The per-request check (hot path): an unbound session passes at once; a bound one needs its valid bound cookie. */
  #passes(req: SessionRequest, storer: Storer, maxAge: { maxAge: number }): boolean {
    // Only the id (a short string) is read here: the record (key, challenges) only at the endpoints.
    const id = storer.getValue().get(ID_KEY);
    if (id === undefined) return true;
    if (this.#endpoint.has(req) || this.#kind(req as EndpointRequest) !== null) return true;
    // A field that is not a string counts as bound without a usable cookie: tampering cannot unbind.
    if (typeof id !== 'string') return false;
    for (const token of cookieValues(req.headers.cookie, this.cookieName)) {
      const opened = this.#boundTokens.openText(token, maxAge);
      if (opened.ok && same(opened.value, id)) return true;
    }
    return false;
  }
}

function refused(status: number, why: DbscRefusal): DbscReply {
  return { status, headers: [['Content-Type', JSON_TYPE], ['Cache-Control', 'no-store']], body: JSON.stringify({ error: why }) };
}

/** The request's proof, checked for shape and `typ`; a refusal reason otherwise. */
function proofOf(req: EndpointRequest): ParsedJws | 'no-proof' | 'malformed-proof' | 'bad-type' {
  const raw = req.headers[RESPONSE_HEADER];
  if (raw === undefined) return 'no-proof';
  const token = stringField(raw);
  const jws = token === null ? null : parseJws(token);
  if (jws === null) return 'malformed-proof';
  if (jws.header.typ !== 'dbsc+jwt') return 'bad-type';
  return jws;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function path(p: string, what: string): string {
  if (typeof p !== 'string' || !p.startsWith('/') || /[\s?#;,"]/.test(p)) throw new InvalidConfigError(`dbsc ${what} must be an absolute path without query`);
  return p;
}

function pathname(url: string | undefined): string {
  if (url === undefined) return '';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

function appendHeader(res: SessionResponse, name: string, value: string): void {
  const current = res.getHeader(name);
  if (current === undefined) res.setHeader(name, name === 'Set-Cookie' ? [value] : value);
  else res.setHeader(name, [...(Array.isArray(current) ? (current as readonly string[]) : [String(current)]), value]);
}

/** The Session's Set-Cookie lines for a Web response (the manager writes them through this). */
class HeaderCollector implements SessionResponse {
  #lines: string[] = [];
  getHeader(name: string): readonly string[] | undefined {
    return name.toLowerCase() === 'set-cookie' && this.#lines.length > 0 ? this.#lines : undefined;
  }
  setHeader(name: string, value: number | string | readonly string[]): void {
    if (name.toLowerCase() === 'set-cookie') this.#lines = typeof value === 'object' ? [...value] : [String(value)];
  }
  removeHeader(name: string): void {
    if (name.toLowerCase() === 'set-cookie') this.#lines = [];
  }
  setCookies(): readonly string[] {
    return this.#lines;
  }
}
