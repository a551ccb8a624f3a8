import type { IncomingMessage, ServerResponse } from 'node:http';
import { createCodec } from '../crypto/index.js';
import { TokenCache } from '../crypto/token-cache.js';
import type { BackendChoice, Codec } from '../crypto/types.js';
import { cookieValues } from '../manager/http.js';
import { checkTimeout } from '../providers/deadline.js';
import { callStoreRaw } from '../providers/express-store.js';
import { Cookie, serializeData, type CookieOptions } from './cookie.js';
import { codecSecrets, unsignLegacy, type Secret } from './secrets.js';
import { Session, contexts, createSession, type Callback, type RequestContext, type SessionOwner } from './session.js';
import { MemoryStore, syncMemory, type SessionRecord } from './store.js';

/**
 * A session store as express-session uses it (connect-redis, connect-pg-simple,
 * memorystore, ...): callback-style `get`/`set`/`destroy`, optional `touch`,
 * and EventEmitter `on` for `connect`/`disconnect`.
 */
export interface SessionStoreLike {
  get(sid: string, callback: (err: unknown, session?: SessionRecord | null) => void): unknown;
  set(sid: string, session: object, callback?: (err?: unknown) => void): unknown;
  destroy(sid: string, callback?: (err?: unknown) => void): unknown;
  touch?(sid: string, session: object, callback?: (err?: unknown) => void): unknown;
  on?(event: string, listener: (...args: unknown[]) => void): unknown;
  generate?: (req: SessionOwner) => void;
}

/** express-session 1.19's options, plus `legacyCookies`, `timeout` and `backend`. */
export interface SessionOptions {
  /** Secret(s): the first seals new cookies, all open (rotation). Any length is accepted (short ones warn once). */
  secret?: Secret | Secret[] | undefined;
  /** Cookie name. Default `connect.sid`. */
  name?: string | undefined;
  /** @deprecated express-session's old name for `name`. */
  key?: string | undefined;
  /** Default: a new `MemoryStore`. */
  store?: SessionStoreLike | undefined;
  /** New session IDs; default 128 random bits as 22 base64url characters. */
  genid?: ((req: IncomingMessage) => string) | undefined;
  /** Trust `X-Forwarded-Proto` (true), never (false), or Express's `req.secure` (undefined). */
  proxy?: boolean | undefined;
  /** Save unmodified sessions back to the store. Default true (with a deprecation warning, as express-session). */
  resave?: boolean | undefined;
  /** Save new, unmodified sessions. Default true (with a deprecation warning). */
  saveUninitialized?: boolean | undefined;
  /** Send the cookie (and reset its expiry) on every response. Default false. */
  rolling?: boolean | undefined;
  /** What `req.session = null` (or `delete req.session`) does: `keep` (default) or `destroy` the stored session. */
  unset?: 'keep' | 'destroy' | undefined;
  cookie?: CookieOptions | ((req: IncomingMessage) => CookieOptions) | undefined;
  /**
   * Accept express-session's `s:`-signed cookies (signed with one of `secret`)
   * and replace them with sealed ones. Default true; turn it off once every
   * old cookie has expired (after `cookie.maxAge` has passed since the switch).
   */
  legacyCookies?: boolean | undefined;
  /** Bound on each store call, ms; a store that does not answer in time is an error. Default 2000; 0 = none. */
  timeout?: number | undefined;
  /** Crypto backend of the cookie seal. Default `auto`. */
  backend?: BackendChoice | undefined;
}

/** The request as the middleware sees it (`node:http` plus what Express adds). */
type Req = IncomingMessage &
  SessionOwner & {
    originalUrl?: string;
    secure?: boolean;
    secret?: string;
    sessionID?: string | undefined;
    session?: Session | null | undefined;
  };

type AnyFn = (this: unknown, ...args: unknown[]) => unknown;

/** Connect/Express middleware. */
export type SessionMiddleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

const warned = new Set<string>();
function deprecate(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  process.emitWarning(`express-session deprecated ${message}`, 'DeprecationWarning');
}

const defer = setImmediate;

/**
 * express-session's middleware, with a sealed cookie. See docs/express-session.md.
 */
export function session(options?: SessionOptions): SessionMiddleware {
  const opts = options ?? {};
  const cookieOptions = opts.cookie ?? {};
  const generateId = opts.genid;
  const name = opts.name || opts.key || 'connect.sid';
  const store: SessionStoreLike = opts.store ?? new MemoryStore();
  const trustProxy = opts.proxy;
  let resaveSession = opts.resave;
  const rollingSessions = Boolean(opts.rolling);
  let saveUninitializedSession = opts.saveUninitialized;
  const secretOption = opts.secret;
  const timeout = checkTimeout(opts.timeout);
  const legacy = opts.legacyCookies !== false;
  const backend = opts.backend ?? 'auto';

  if (generateId !== undefined && typeof generateId !== 'function') throw new TypeError('genid option must be a function');
  if (resaveSession === undefined) {
    deprecate('undefined resave option; provide resave option');
    resaveSession = true;
  }
  if (saveUninitializedSession === undefined) {
    deprecate('undefined saveUninitialized option; provide saveUninitialized option');
    saveUninitializedSession = true;
  }
  const resave = resaveSession;
  const saveUninitialized = saveUninitializedSession;
  if (opts.unset && opts.unset !== 'destroy' && opts.unset !== 'keep') throw new TypeError('unset option must be "destroy" or "keep"');
  const unsetDestroy = opts.unset === 'destroy';
  if (Array.isArray(secretOption) && secretOption.length === 0) throw new TypeError('secret option array must contain one or more strings');
  const secrets: Secret[] | null = secretOption ? (Array.isArray(secretOption) ? secretOption : [secretOption]) : null;
  if (!secrets) deprecate('req.secret; provide secret option');

  if (process.env.NODE_ENV === 'production' && store instanceof MemoryStore) {
    console.warn(
      'Warning: connect.session() MemoryStore is not\ndesigned for a production environment, as it will leak\nmemory, and will not scale past a single process.',
    );
  }

  // A codec and its cache of cookies that verified before (they open with a lookup: see TokenCache).
  const keysOf = (list: Secret[]): Keys => {
    const codec = createCodec({ secrets: codecSecrets(list), name, backend });
    return { codec, opener: new TokenCache(codec) };
  };
  const mainKeys: Keys | null = secrets ? keysOf(secrets) : null;
  // Without a `secret` option, express-session signs with cookie-parser's req.secret: keys per such secret.
  const perSecret = new Map<string, Keys>();
  const keysFor = (secret: string): Keys => {
    let k = perSecret.get(secret);
    if (k === undefined) perSecret.set(secret, (k = keysOf([secret])));
    return k;
  };

  const resolveCookie = (req: Req): CookieOptions => (typeof cookieOptions === 'function' ? cookieOptions(req) : cookieOptions);

  /** A new session on `req` (express-session's `store.generate`). */
  const generateFor = (req: Req, codec: Codec): Session => {
    req.sessionID = generateId ? generateId(req) : codec.newSessionId();
    const sess = new Session(req);
    req.session = sess;
    const co = resolveCookie(req);
    sess.cookie = new Cookie(co);
    const isSecure = issecure(req, trustProxy);
    if (co.secure === 'auto') sess.cookie.secure = isSecure;
    if (co.sameSite === 'auto') sess.cookie.sameSite = isSecure ? 'none' : 'lax';
    return sess;
  };
  store.generate = (req: SessionOwner): void => {
    const r = req as Req;
    generateFor(r, (mainKeys ?? keysFor(r.secret ?? '')).codec);
  };

  const storeImplementsTouch = typeof store.touch === 'function';
  const memory = syncMemory(store);

  let storeReady = true;
  if (typeof store.on === 'function') {
    store.on('disconnect', () => {
      storeReady = false;
    });
    store.on('connect', () => {
      storeReady = true;
    });
  }

  // Store access: synchronous for our own MemoryStore (the hot path), else through the callback with a deadline.
  const storeGet = (sid: string, fn: (err: unknown, sess?: SessionRecord | null) => void): void => {
    if (memory !== null) {
      let sess: SessionRecord | undefined;
      try {
        sess = memory.get(sid);
      } catch (err) {
        fn(err);
        return;
      }
      fn(null, sess);
      return;
    }
    callStoreRaw<SessionRecord | null | undefined>(store, 'get', [sid], timeout).then(
      (sess) => fn(null, sess),
      (err: unknown) => fn(err),
    );
  };
  const storeCall = (method: 'set' | 'destroy' | 'touch', args: unknown[], fn: Callback): void => {
    if (memory !== null) {
      try {
        if (method === 'set') memory.set(args[0] as string, args[1] as object);
        else if (method === 'touch') memory.touch(args[0] as string, args[1] as { cookie?: unknown });
        else (store as MemoryStore).destroy(args[0] as string);
      } catch (err) {
        fn(err);
        return;
      }
      fn();
      return;
    }
    callStoreRaw<void>(store, method, args, timeout).then(
      () => fn(),
      (err: unknown) => fn(err),
    );
  };
  // Calls made by the app (req.session.save(cb), ...) always answer asynchronously, as stores do.
  const later =
    (fn: Callback): Callback =>
    (err?: unknown) =>
      memory !== null ? process.nextTick(fn, err) : fn(err);

  const shared: Shared = {
    store,
    memory,
    name,
    resave,
    saveUninitialized,
    rolling: rollingSessions,
    unsetDestroy,
    trustProxy,
    storeImplementsTouch,
    generateFor,
    storeGet,
    storeCall,
    later,
  };

  return function sessionMiddleware(request: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void {
    const req = request as Req;
    // self-awareness
    if (req.session) {
      next();
      return;
    }
    // Handle the request as if there were no session while the store is disconnected.
    if (!storeReady) {
      next();
      return;
    }
    const originalPath = pathname(req.originalUrl ?? req.url ?? '/');
    const resolvedCookieOptions = resolveCookie(req);
    if (originalPath.indexOf(resolvedCookieOptions.path || '/') !== 0) {
      next();
      return;
    }
    if (!secrets && !req.secret) {
      next(new Error('secret option required for sessions'));
      return;
    }
    const reqSecrets: Secret[] = secrets ?? [req.secret as string];
    const keys = mainKeys ?? keysFor(req.secret as string);
    const codec = keys.codec;

    const state = new RequestState(shared, req, res, next, codec, res.writeHead as unknown as AnyFn, res.end as unknown as AnyFn);
    getcookie(state, req.headers.cookie, name, keys.opener, legacy ? reqSecrets : null);
    // Under Express every property added to req or res costs a new hidden class
    // (see `contexts`): only the ones express-session's API has (sessionStore,
    // sessionID, session; writeHead, end), the hooks as closures over the state.
    req.sessionStore = store;
    req.sessionID = state.cookieId;
    contexts.set(req, state);
    res.writeHead = function writeHead(this: ServerResponse, ...args: unknown[]): unknown {
      return state.writeHead(this, args);
    } as unknown as ServerResponse['writeHead'];
    res.end = function end(this: ServerResponse, ...args: unknown[]): unknown {
      return state.end(this, args);
    } as unknown as ServerResponse['end'];

    // generate a session if the browser doesn't send a sessionID
    if (!req.sessionID) {
      state.generated();
      next();
      return;
    }
    storeGet(req.sessionID, (err, sess) => state.loaded(err, sess));
  };
}

/** What every request of one middleware shares. */
/** A codec for one secret list, with its verified-token cache. */
interface Keys {
  readonly codec: Codec;
  readonly opener: TokenCache;
}

interface Shared {
  readonly store: SessionStoreLike;
  readonly memory: ReturnType<typeof syncMemory>;
  readonly name: string;
  readonly resave: boolean;
  readonly saveUninitialized: boolean;
  readonly rolling: boolean;
  readonly unsetDestroy: boolean;
  readonly trustProxy: boolean | undefined;
  readonly storeImplementsTouch: boolean;
  generateFor(req: Req, codec: Codec): Session;
  storeGet(sid: string, fn: (err: unknown, sess?: SessionRecord | null) => void): void;
  storeCall(method: 'set' | 'destroy' | 'touch', args: unknown[], fn: Callback): void;
  later(fn: Callback): Callback;
}

/**
 * One request's session bookkeeping: express-session's closure variables
 * (originalId, originalHash, savedHash, touched) and its shouldSave /
 * shouldTouch / shouldSetCookie rules. Also the context the Session methods call.
 */
class RequestState implements RequestContext {
  // `declare` + assignments in the constructor: one hidden class, no class-field defines.
  declare readonly m: Shared;
  declare readonly req: Req;
  declare readonly res: ServerResponse;
  declare readonly next: (err?: unknown) => void;
  declare readonly codec: Codec;
  declare readonly writeHeadOrig: AnyFn;
  declare readonly endOrig: AnyFn;
  /** The session ID the request's cookie carried. */
  declare cookieId: string | undefined;
  /** That cookie's token, when it opened under the current secret: sent back as it is while the ID stays. */
  declare cookieToken: string | undefined;
  /** The response must carry a (new) sealed cookie even if nothing changed: a legacy or rotated cookie. */
  declare replaceCookie: boolean;
  declare originalHash: string | undefined;
  declare originalId: string | undefined;
  declare savedHash: string | undefined;
  declare touched: boolean;
  /** A save/destroy failed before the headers: no cookie, the error went to next(). */
  declare failed: boolean;
  declare headersFired: boolean;
  declare ended: boolean;
  /** The response has been ended (or handed to the error handler): `end` calls go straight through. */
  declare passThrough: boolean;
  declare endArgs: unknown[] | undefined;
  declare memo: string | undefined;
  declare memoFor: Session | undefined;

  constructor(m: Shared, req: Req, res: ServerResponse, next: (err?: unknown) => void, codec: Codec, writeHeadOrig: AnyFn, endOrig: AnyFn) {
    this.m = m;
    this.req = req;
    this.res = res;
    this.next = next;
    this.codec = codec;
    this.writeHeadOrig = writeHeadOrig;
    this.endOrig = endOrig;
    this.cookieId = undefined;
    this.cookieToken = undefined;
    this.replaceCookie = false;
    this.originalHash = undefined;
    this.originalId = undefined;
    this.savedHash = undefined;
    this.touched = false;
    this.failed = false;
    this.headersFired = false;
    this.ended = false;
    this.passThrough = false;
    this.endArgs = undefined;
    this.memo = undefined;
    this.memoFor = undefined;
  }

  generated(): void {
    const s = this.m.generateFor(this.req, this.codec);
    // s.id is req.sessionID, read off the session: each read of req costs (see `contexts`).
    this.originalId = s.id;
    this.originalHash = hash(s);
  }

  loaded(err: unknown, sess: SessionRecord | null | undefined): void {
    if (err && (err as { code?: unknown }).code !== 'ENOENT') {
      this.next(err);
      return;
    }
    try {
      if (err || !sess) {
        this.generated();
      } else {
        const s = createSession(this.req, sess);
        this.originalId = s.id;
        this.originalHash = hash(s);
        if (!this.m.resave) this.savedHash = this.originalHash;
      }
    } catch (e) {
      this.next(e);
      return;
    }
    this.next();
  }

  isModified(sess: Session): boolean {
    return this.originalId !== sess.id || this.originalHash !== this.hashOf(sess);
  }

  isSaved(sess: Session): boolean {
    return this.originalId === sess.id && this.savedHash === this.hashOf(sess);
  }

  /**
   * `hash(sess)`, reused while `end` runs synchronously (shouldSave, the save,
   * then shouldSetCookie in writeHead): no app code can change the session in between.
   */
  hashOf(sess: Session): string {
    if (this.memo !== undefined && this.memoFor === sess) return this.memo;
    return hash(sess);
  }

  shouldDestroy(): boolean {
    return Boolean(this.req.sessionID) && this.m.unsetDestroy && this.req.session == null;
  }

  shouldSave(): boolean {
    const req = this.req;
    // cannot set cookie without a session ID
    if (typeof req.sessionID !== 'string') return false;
    const sess = req.session as Session;
    return !this.m.saveUninitialized && !this.savedHash && this.cookieId !== req.sessionID ? this.isModified(sess) : !this.isSaved(sess);
  }

  shouldTouch(): boolean {
    return typeof this.req.sessionID === 'string' && this.cookieId === this.req.sessionID && !this.shouldSave();
  }

  shouldSetCookie(): boolean {
    const req = this.req;
    if (typeof req.sessionID !== 'string') return false;
    const sess = req.session as Session;
    if (this.cookieId !== req.sessionID) return this.m.saveUninitialized || this.isModified(sess);
    return this.replaceCookie || this.m.rolling || (sess.cookie.expires != null && this.isModified(sess));
  }

  /** Set-Cookie just before the headers go out (on-headers' job in express-session). */
  onHeaders(): void {
    if (this.failed) return;
    const req = this.req;
    const sess = req.session;
    if (!sess) return;
    if (!this.shouldSetCookie()) return;
    // only send secure cookies via https
    if (sess.cookie.secure && !issecure(req, this.m.trustProxy)) return;
    if (!this.touched) {
      sess.touch();
      this.touched = true;
    }
    try {
      const sid = req.sessionID as string;
      // The cookie the browser sent, when it still names this session under the current secret: the same
      // ID sealed again would be just as valid (express-session re-sends its same signed value too).
      const token = this.cookieToken !== undefined && sid === this.cookieId ? this.cookieToken : this.codec.seal(sid);
      const line = serializeData(this.m.name, token, sess.cookie.data, false);
      const res = this.res;
      const prev = res.getHeader('Set-Cookie');
      res.setHeader('Set-Cookie', prev === undefined ? [line] : Array.isArray(prev) ? [...(prev as string[]), line] : [String(prev), line]);
    } catch (err) {
      defer(this.next, err);
    }
  }

  writeHead(res: ServerResponse, args: unknown[]): unknown {
    const orig = this.writeHeadOrig;
    if (this.headersFired) return orig.apply(res, args);
    this.headersFired = true;
    // Headers given to writeHead are set first, so the app's own Set-Cookie and ours both go out.
    const headerIndex = args.length > 1 && typeof args[1] === 'string' ? 2 : 1;
    const headers = args.length > headerIndex ? args[headerIndex] : undefined;
    // No `res.statusCode = args[0]` first (on-headers does it for its listeners): the original writeHead
    // sets it, nothing here reads it, and every store to res costs (see `contexts`).
    if (headers !== undefined && headers !== null) applyHeaders(res, headers);
    this.onHeaders();
    return orig.apply(res, args.length > headerIndex ? args.slice(0, headerIndex) : args);
  }

  /** Saves (or destroys, or touches) before the response ends, so a failed save never goes out as a success. */
  end(res: ServerResponse, args: unknown[]): unknown {
    if (this.passThrough) return this.endOrig.apply(res, args);
    if (this.ended) return res;
    this.ended = true;
    this.endArgs = args;
    const m = this.m;
    const req = this.req;
    if (this.shouldDestroy()) {
      m.storeCall('destroy', [req.sessionID], (err) => this.after(true, err));
      return res;
    }
    const sess = req.session;
    if (!sess) return this.finish();
    if (!this.touched) {
      sess.touch();
      this.touched = true;
    }
    this.memo = hash(sess);
    this.memoFor = sess;
    if (this.shouldSave()) {
      this.savedHash = this.memo;
      if (m.memory !== null) {
        // Our MemoryStore: synchronous, no callback to allocate.
        try {
          m.memory.set(req.sessionID as string, sess);
        } catch (err) {
          this.memo = undefined;
          this.after(true, err);
          return res;
        }
        return this.finish();
      }
      // The store answers later: app code may run meanwhile.
      this.memo = undefined;
      m.storeCall('set', [req.sessionID, sess], (err) => this.after(true, err));
      return res;
    }
    if (m.storeImplementsTouch && this.shouldTouch()) {
      this.memo = undefined;
      m.storeCall('touch', [req.sessionID, sess], (err) => this.after(false, err));
      return res;
    }
    return this.finish();
  }

  finish(): unknown {
    // No `res.end = endOrig`: a store to res costs as much as an add (see `contexts`); the hook passes through.
    this.passThrough = true;
    try {
      return this.endOrig.apply(this.res, this.endArgs as unknown[]);
    } finally {
      this.memo = undefined;
    }
  }

  after(fatal: boolean, err: unknown): void {
    if (err === undefined || err === null) {
      this.finish();
      return;
    }
    if (!fatal || this.res.headersSent) {
      // The response is (partly) out already: finish it, then report (express-session's behaviour).
      this.finish();
      defer(this.next, err);
      return;
    }
    this.failed = true;
    this.passThrough = true;
    this.next(err);
  }

  // RequestContext: what the Session methods call.
  set(sess: Session, fn: Callback): void {
    this.m.storeCall('set', [sess.id, sess], this.m.later(fn));
  }
  get(sid: string, fn: (err: unknown, sess?: Record<string, unknown> | null) => void): void {
    const later = this.m.later;
    this.m.storeGet(sid, (err, sess) => later(() => fn(err, sess))());
  }
  destroy(sid: string, fn: Callback): void {
    this.m.storeCall('destroy', [sid], this.m.later(fn));
  }
  onSave(sess: Session): void {
    this.savedHash = hash(sess);
  }
  onReload(): void {}
  regenerate(fn: Callback): void {
    this.destroy(this.req.sessionID as string, (err) => {
      // Like express-session's store.generate: originalId stays, so the new session counts as modified.
      this.m.generateFor(this.req, this.codec);
      fn(err);
    });
  }
}

/** The session's data as JSON, without its cookie: what "modified" compares. */
function hash(sess: Session): string {
  const { cookie: _cookie, ...data } = sess;
  return JSON.stringify(data);
}

/**
 * The session ID from the request's cookie, onto `state`: a sealed token, or
 * (with `legacySecrets`) an express-session `s:` cookie.
 */
function getcookie(state: RequestState, header: string | undefined, name: string, codec: Pick<Codec, 'openText'>, legacySecrets: readonly Secret[] | null): void {
  const values = cookieValues(header, name);
  if (values.length === 0) return;
  for (const v of values) {
    const r = codec.openText(v);
    if (r.ok && r.value.length > 0) {
      state.cookieId = r.value;
      // Opened under an older secret: re-seal under the first one.
      if (r.keyIndex > 0) state.replaceCookie = true;
      else state.cookieToken = v;
      return;
    }
  }
  if (legacySecrets !== null) {
    for (const v of values) {
      if (v.startsWith('s:')) {
        const id = unsignLegacy(v.slice(2), legacySecrets);
        if (id !== false && id.length > 0) {
          state.cookieId = id;
          state.replaceCookie = true;
          return;
        }
      }
    }
  }
}

function pathname(url: string): string {
  const q = url.indexOf('?');
  const p = q < 0 ? url : url.slice(0, q);
  if (p.startsWith('/')) return p;
  try {
    return new URL(p).pathname;
  } catch {
    return '/';
  }
}

function issecure(req: Req, trustProxy: boolean | undefined): boolean {
  // socket is https server
  if ((req.socket as { encrypted?: boolean } | undefined)?.encrypted) return true;
  // do not trust proxy
  if (trustProxy === false) return false;
  // no explicit trust; try req.secure from express
  if (trustProxy !== true) return req.secure === true;
  // read the proto from x-forwarded-proto header
  const h = req.headers['x-forwarded-proto'];
  const header = (Array.isArray(h) ? h[0] : h) ?? '';
  const index = header.indexOf(',');
  const proto = index !== -1 ? header.slice(0, index).toLowerCase().trim() : header.toLowerCase().trim();
  return proto === 'https';
}

function applyHeaders(res: ServerResponse, headers: unknown): void {
  if (Array.isArray(headers)) {
    // Raw lists may repeat a name (several Set-Cookie): the first replaces, the rest append, as writeHead would.
    const seen = new Set<string>();
    const put = (key: unknown, value: unknown): void => {
      const k = String(key).toLowerCase();
      if (seen.has(k)) res.appendHeader(k, value as string);
      else res.setHeader(k, value as string);
      seen.add(k);
    };
    if (headers.length > 0 && Array.isArray(headers[0])) {
      for (const pair of headers as unknown[][]) put(pair[0], pair[1]);
    } else {
      // A flat list of raw headers: name, value, name, value...
      for (let i = 0; i + 1 < headers.length; i += 2) put(headers[i], headers[i + 1]);
    }
    return;
  }
  if (typeof headers === 'object') {
    for (const key of Object.keys(headers as object)) {
      const v = (headers as Record<string, unknown>)[key];
      if (v !== undefined) res.setHeader(key, v as string);
    }
  }
}
